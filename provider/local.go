package provider

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Local starts a throwaway cluster from the PostgreSQL binaries installed on
// this machine: initdb into a temp dir, postgres on a free 127.0.0.1 port.
// When run as root the server runs as the unprivileged "postgres" user (or
// "nobody"), because PostgreSQL refuses to run as root.
type Local struct {
	binDir string
}

var _ Provider = (*Local)(nil)

// LocalOption configures a Local provider.
type LocalOption func(*Local)

// WithBinDir uses the installation in dir instead of searching for one.
func WithBinDir(dir string) LocalOption { return func(l *Local) { l.binDir = dir } }

// NewLocal returns a local provider.
func NewLocal(opts ...LocalOption) *Local {
	l := &Local{}
	for _, opt := range opts {
		opt(l)
	}
	return l
}

const (
	localUser       = "rehearse"
	readyTimeout    = 60 * time.Second
	stopGracePeriod = 10 * time.Second
	startAttempts   = 3
)

// Start initialises and starts a cluster. On error nothing is left behind.
func (l *Local) Start(ctx context.Context, cfg Config) (inst *Instance, err error) {
	c, err := l.newCluster(cfg)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(c.dir)
		}
	}()
	if err := c.initdb(ctx); err != nil {
		return nil, err
	}
	if err := c.start(ctx, cfg.Settings); err != nil {
		return nil, err
	}
	return c.instance(ctx, cfg)
}

// newCluster finds the binaries and the server's user and creates the
// cluster's temp dir; the caller removes it if the start fails.
func (l *Local) newCluster(cfg Config) (*cluster, error) {
	bin, err := l.findBinDir(cfg.Version)
	if err != nil {
		return nil, unavailable{err}
	}
	owner, err := serverOwner()
	if err != nil {
		return nil, err
	}
	dir, err := makeClusterDir("rehearse-pg-")
	if err != nil {
		return nil, err
	}
	return &cluster{bin: bin.Path, dir: dir, owner: owner, log: logWriter(cfg.Log)}, nil
}

// instance starts the standby cfg asks for and wraps the running cluster
// in an Instance; on error it kills c (the caller removes its dir).
func (c *cluster) instance(ctx context.Context, cfg Config) (inst *Instance, err error) {
	srv := servers{primary: c}
	if cfg.Replica {
		if srv.standby, err = c.startStandby(ctx, cfg.Settings); err != nil {
			c.kill()
			return nil, err
		}
	}
	inst = NewInstance(c.dsn(), "local", cfg.Settings, srv.stop)
	if srv.standby != nil {
		inst.ReplicaDSN = srv.standby.dsn()
	}
	inst.Leftovers = srv.leftovers
	inst.SetKill(srv.kill)
	inst.snapshot = func(ctx context.Context, dst string) (int64, error) { return srv.snapshot(ctx, inst, dst) }
	return inst, nil
}

func (l *Local) findBinDir(version string) (BinDir, error) {
	if l.binDir == "" {
		return FindBinDir(version)
	}
	if !isServerBinDir(l.binDir) {
		return BinDir{}, fmt.Errorf("%s has no initdb and postgres", l.binDir)
	}
	return BinDir{Path: l.binDir, Major: majorOf(l.binDir)}, nil
}

// cluster is one initialised data directory and, once started, its postmaster.
type cluster struct {
	bin      string
	dir      string // temp dir: data/, the password file, the server log
	owner    *syscall.Credential
	log      io.Writer
	password string
	port     int
	// settings are the server settings it was started with, to start it
	// again after a snapshot.
	settings map[string]string
	// trustLocal is set for a copy of a cached data directory, whose
	// password is not known until it is set over the socket (local_template.go).
	trustLocal bool
	proc       *os.Process
	exited     chan struct{} // closed when the postmaster has exited
	// mounted is the overlay mount on the data directory of a
	// copy-on-write start (local_cow.go); remove unmounts it.
	mounted string
}

func (c *cluster) dataDir() string { return filepath.Join(c.dir, "data") }
func (c *cluster) logPath() string { return filepath.Join(c.dir, "postgres.log") }

func (c *cluster) dsn() string {
	return fmt.Sprintf("postgres://%s:%s@127.0.0.1:%d/postgres?sslmode=disable", localUser, c.password, c.port)
}

func (c *cluster) initdb(ctx context.Context) error {
	c.password = randomHex(16)
	pwfile := filepath.Join(c.dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(c.password+"\n"), 0o600); err != nil {
		return fmt.Errorf("write password file: %w", err)
	}
	if err := c.chown(c.dir, pwfile); err != nil {
		return err
	}
	fmt.Fprintf(c.log, "initdb %s (%s)\n", c.dataDir(), c.bin)
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, "initdb"),
		"-D", c.dataDir(), "-U", localUser, "--pwfile="+pwfile, "--auth=scram-sha-256",
		"-E", "UTF8", "--locale=C", "--no-sync")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.owner, Setpgid: true}
	cmd.Dir = c.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("initdb: %w: %s", err, tail(out, 5))
	}
	return nil
}

// start runs the postmaster on a free port, retrying when another process
// takes the port between our probe and the server's bind.
func (c *cluster) start(ctx context.Context, settings map[string]string) error {
	var err error
	for attempt := 0; attempt < startAttempts; attempt++ {
		err = c.startOnce(ctx, settings)
		if err == nil || !errors.Is(err, errPortTaken) {
			return err
		}
	}
	return err
}

var errPortTaken = errors.New("port already in use")

func (c *cluster) startOnce(ctx context.Context, settings map[string]string) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	c.port = port
	return c.launch(ctx, settings)
}

// launch runs the postmaster on c.port and waits until it is ready.
func (c *cluster) launch(ctx context.Context, settings map[string]string) error {
	c.settings = settings
	logFile, err := os.OpenFile(c.logPath(), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("open server log: %w", err)
	}
	defer logFile.Close()
	cmd := exec.Command(filepath.Join(c.bin, "postgres"), c.serverArgs(settings)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Dir = c.dir
	// Own process group: a terminal's Ctrl-C reaches us, not the server, so we
	// stop it in order. Pdeathsig: if we are killed, the server goes with us.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.owner, Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	c.proc = cmd.Process
	c.exited = make(chan struct{})
	go func() {
		cmd.Wait()
		close(c.exited)
	}()
	fmt.Fprintf(c.log, "postgres starting on 127.0.0.1:%d\n", c.port)
	if err := c.waitReady(ctx); err != nil {
		c.kill()
		return err
	}
	return nil
}

func (c *cluster) serverArgs(settings map[string]string) []string {
	args := []string{"-D", c.dataDir(), "-p", strconv.Itoa(c.port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=" + c.dir}
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "-c", k+"="+settings[k])
	}
	return args
}

// waitReady polls until the server accepts a connection, it exits, or time runs out.
func (c *cluster) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(readyTimeout)
	for {
		connCtx, cancel := context.WithTimeout(ctx, time.Second)
		conn, err := pgx.Connect(connCtx, c.readyDSN())
		cancel()
		if err == nil {
			return conn.Close(ctx)
		}
		select {
		case <-c.exited:
			return c.startFailure()
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres did not accept connections within %s: %s", readyTimeout, c.logTail())
		}
	}
}

func (c *cluster) startFailure() error {
	logText := c.logTail()
	if strings.Contains(logText, "could not bind") || strings.Contains(logText, "already in use") {
		return fmt.Errorf("%w: %s", errPortTaken, logText)
	}
	return fmt.Errorf("postgres exited during start: %s", logText)
}

func (c *cluster) logTail() string {
	data, err := os.ReadFile(c.logPath())
	if err != nil {
		return "(no server log)"
	}
	return tail(data, 5)
}

// stop asks for a fast shutdown (SIGINT), kills the process group if that
// takes longer than the grace period or ctx, and removes the temp dir.
func (c *cluster) stop(ctx context.Context) error {
	defer c.remove()
	return c.halt(ctx)
}

// halt is stop without removing anything: a fast shutdown, or a kill when
// it takes too long (then it returns an error).
func (c *cluster) halt(ctx context.Context) error {
	if c.proc == nil {
		return nil
	}
	_ = c.proc.Signal(syscall.SIGINT)
	grace := time.NewTimer(stopGracePeriod)
	defer grace.Stop()
	select {
	case <-c.exited:
		return nil
	case <-grace.C:
	case <-ctx.Done():
	}
	c.kill()
	return fmt.Errorf("postgres did not stop within %s; killed it", stopGracePeriod)
}

// kill ends the postmaster and its children at once and waits for it to exit.
func (c *cluster) kill() {
	_ = syscall.Kill(-c.proc.Pid, syscall.SIGKILL)
	<-c.exited
}

// leftovers lists the temp dir and server processes that still exist.
func (c *cluster) leftovers() []string {
	var left []string
	if _, err := os.Stat(c.dir); err == nil {
		left = append(left, "directory "+c.dir)
	}
	if isMounted(c.dataDir()) {
		left = append(left, "overlay mount "+c.dataDir())
	}
	if c.proc != nil && syscall.Kill(-c.proc.Pid, 0) == nil {
		left = append(left, fmt.Sprintf("process group %d", c.proc.Pid))
	}
	return left
}

func (c *cluster) chown(paths ...string) error {
	if c.owner == nil {
		return nil
	}
	for _, p := range paths {
		if err := os.Chown(p, int(c.owner.Uid), int(c.owner.Gid)); err != nil {
			return fmt.Errorf("give %s to the server user: %w", p, err)
		}
	}
	return nil
}

// serverOwner returns the credential to run the server as: nil unless we are
// root, in which case the "postgres" user if it exists, else "nobody".
func serverOwner() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("running as root and no unprivileged user (postgres or nobody) to run the server as")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// tail returns the last n non-empty lines of out joined by " | ".
func tail(out []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(bytes.ToValidUTF8(out, nil))), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

func logWriter(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}
