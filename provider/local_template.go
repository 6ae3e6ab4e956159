package provider

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sys/unix"
)

// Templater is a provider that can start a server on a copy of a data
// directory saved by Instance.Snapshot: what the dataset cache needs. The
// local provider is one; the container and dsn providers are not.
type Templater interface {
	Provider
	// ServerVersion is the server_version a server started for cfg would
	// report, found without starting one.
	ServerVersion(ctx context.Context, cfg Config) (string, error)
	// StartFrom starts a server, as Start does, on a fresh copy of dataDir;
	// dataDir is only read, and may be read by other calls at the same time.
	StartFrom(ctx context.Context, cfg Config, dataDir string) (*Instance, error)
}

var _ Templater = (*Local)(nil)

// ErrNoSnapshot is returned by Instance.Snapshot for servers that cannot be
// snapshotted (containers, existing databases).
var ErrNoSnapshot = errors.New("this provider cannot snapshot its server's data directory")

// Snapshot copies the server's data directory into dst (which must not
// exist) as a template for StartFrom, and returns the bytes copied. The
// server is stopped cleanly for the copy and started again on the same
// port: connections open before are broken, and the DSN stays valid (when
// another process took the port in between, the server comes back on
// another and DSN is updated). Replication slots and the WAL the last
// checkpoint does not need are left out of the copy. Callers should
// CHECKPOINT first, so that the shutdown is quick; nothing else may use the
// Instance meanwhile.
func (i *Instance) Snapshot(ctx context.Context, dst string) (int64, error) {
	if i == nil || i.snapshot == nil {
		return 0, ErrNoSnapshot
	}
	return i.snapshot(ctx, dst)
}

// postgresVersionPrefix starts `postgres --version`'s output; the rest is
// what SHOW server_version says.
const postgresVersionPrefix = "postgres (PostgreSQL) "

// ServerVersion runs `postgres --version` of the installation Start would
// use for cfg.
func (l *Local) ServerVersion(ctx context.Context, cfg Config) (string, error) {
	bin, err := l.findBinDir(cfg.Version)
	if err != nil {
		return "", unavailable{err}
	}
	out, err := exec.CommandContext(ctx, filepath.Join(bin.Path, "postgres"), "--version").Output()
	if err != nil {
		return "", fmt.Errorf("postgres --version: %w", err)
	}
	v := strings.TrimSpace(string(out))
	if !strings.HasPrefix(v, postgresVersionPrefix) {
		return "", fmt.Errorf("postgres --version: unexpected output %q", v)
	}
	return strings.TrimPrefix(v, postgresVersionPrefix), nil
}

// StartFrom starts a cluster on a copy of template instead of initdb. The
// copy's pg_hba.conf trusts connections over the server's socket (in a
// directory only the server's user can enter) so that the rehearsal can
// give the copy a fresh password before anything connects over TCP, which
// stays scram-sha-256.
func (l *Local) StartFrom(ctx context.Context, cfg Config, template string) (inst *Instance, err error) {
	c, err := l.newCluster(cfg)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			c.remove()
		}
	}()
	c.trustLocal, c.password = true, randomHex(16)
	if err := c.chown(c.dir); err != nil {
		return nil, err
	}
	began := time.Now()
	how, note, err := c.cloneDataDir(ctx, template)
	if err != nil {
		return nil, fmt.Errorf("copy the cached data directory: %w", err)
	}
	if note != "" {
		fmt.Fprintf(c.log, "%s\n", note)
	}
	fmt.Fprintf(c.log, "%s of %s into %s in %s\n", how, template, c.dataDir(), time.Since(began).Round(time.Millisecond))
	if err := c.writeHBA(); err != nil {
		return nil, err
	}
	if err := c.start(ctx, cfg.Settings); err != nil {
		return nil, err
	}
	if err := c.setPassword(ctx); err != nil {
		c.kill()
		return nil, err
	}
	return c.instance(ctx, cfg)
}

// templateHBA replaces initdb's pg_hba.conf in a copy of a cached cluster.
const templateHBA = `# rehearse: a copy of a cached dataset. The socket is in a directory only
# the server's user can enter: trusted, so that the run can set its password.
local   all             all                                     trust
host    all             all             127.0.0.1/32            scram-sha-256
host    all             all             ::1/128                 scram-sha-256
local   replication     all                                     trust
host    replication     all             127.0.0.1/32            scram-sha-256
host    replication     all             ::1/128                 scram-sha-256
`

func (c *cluster) writeHBA() error {
	path := filepath.Join(c.dataDir(), "pg_hba.conf")
	if err := os.WriteFile(path, []byte(templateHBA), 0o600); err != nil {
		return fmt.Errorf("write pg_hba.conf: %w", err)
	}
	return c.chown(path)
}

// socketDSN connects over the server's Unix socket.
func (c *cluster) socketDSN() string {
	return fmt.Sprintf("host=%s port=%d user=%s dbname=postgres sslmode=disable", c.dir, c.port, localUser)
}

// readyDSN is what waitReady connects with: the socket for a copy whose
// password is not set yet.
func (c *cluster) readyDSN() string {
	if c.trustLocal {
		return c.socketDSN()
	}
	return c.dsn()
}

// setPassword gives the copy's superuser this run's password.
func (c *cluster) setPassword(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, c.socketDSN())
	if err != nil {
		return fmt.Errorf("connect over the socket to set the password: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// c.password is hex: safe to quote inline (ALTER ROLE takes no parameters).
	if _, err := conn.Exec(ctx, fmt.Sprintf("ALTER ROLE %s PASSWORD '%s'", pgx.Identifier{localUser}.Sanitize(), c.password)); err != nil {
		return fmt.Errorf("set the password: %w", err)
	}
	c.trustLocal = false
	return nil
}

// snapshot copies the primary; a standby reconnects to it once it is back
// (which needs the same port), and snapshot waits until it streams again.
func (s servers) snapshot(ctx context.Context, inst *Instance, dst string) (int64, error) {
	n, err := s.primary.snapshot(ctx, dst, s.standby == nil)
	inst.DSN = s.primary.dsn()
	if err == nil && s.standby != nil {
		err = s.primary.waitStreaming(ctx, s.standby)
	}
	return n, err
}

// snapshot stops the cluster cleanly, copies its data directory to dst and
// starts it again on the same port (or, when movable and the port was
// taken meanwhile, on another one).
func (c *cluster) snapshot(ctx context.Context, dst string, movable bool) (int64, error) {
	if c.proc == nil {
		return 0, errors.New("snapshot: the server is not running")
	}
	if err := c.halt(ctx); err != nil {
		c.restart(ctx, movable)
		return 0, fmt.Errorf("snapshot: stop the server: %w", err)
	}
	keep := c.walToKeep(ctx)
	// Owned by the server's user, so that a later run can use it as the
	// lower layer of an overlay (local_cow.go) without a copy.
	n, copyErr := copyDataDir(ctx, c.dataDir(), dst, c.owner, func(rel string) bool { return skipInSnapshot(rel, keep) }, true)
	if copyErr != nil {
		copyErr = fmt.Errorf("snapshot: copy the data directory: %w", copyErr)
	}
	if err := c.restart(ctx, movable); err != nil {
		return n, errors.Join(copyErr, fmt.Errorf("snapshot: start the server again: %w", err))
	}
	return n, copyErr
}

func (c *cluster) restart(ctx context.Context, movable bool) error {
	err := c.launch(ctx, c.settings)
	if errors.Is(err, errPortTaken) && movable {
		return c.start(ctx, c.settings)
	}
	return err
}

// walToKeep names the WAL segment holding the last checkpoint's redo
// point, from pg_controldata: a cleanly stopped cluster needs no other
// (the others are old, or recycled for later use). "" keeps every segment.
func (c *cluster) walToKeep(ctx context.Context) string {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, "pg_controldata"), c.dataDir())
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	var state, redo string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		key, value, _ := strings.Cut(sc.Text(), ":")
		switch strings.TrimSpace(key) {
		case "Database cluster state":
			state = strings.TrimSpace(value)
		case "Latest checkpoint's REDO WAL file":
			redo = strings.TrimSpace(value)
		}
	}
	if state != "shut down" {
		return ""
	}
	return redo
}

// skipInSnapshot leaves out of a snapshot what a copy must not have
// (replication slots, which would hold WAL back and clash with a new
// standby's slot; the pid and options files of the stopped server) and
// WAL segments other than keep.
func skipInSnapshot(rel, keep string) bool {
	dir, name := filepath.Split(rel)
	switch {
	case rel == "postmaster.pid" || rel == "postmaster.opts":
		return true
	case dir == "pg_replslot/":
		return true
	case dir == "pg_wal/" && keep != "" && isWALSegment(name):
		return name != keep
	}
	return false
}

func isWALSegment(name string) bool {
	if len(name) != 24 {
		return false
	}
	for _, r := range name {
		if !strings.ContainsRune("0123456789ABCDEF", r) {
			return false
		}
	}
	return true
}

// copyWorkers is how many files copyDataDir copies at once.
const copyWorkers = 4

// errCopyFailed stops the walk once a worker has failed; the worker's error
// is the one returned.
var errCopyFailed = errors.New("copy failed")

// copyDataDir copies the tree at src into dst (created; it must not exist)
// with the same permissions, owned by owner when given, and returns the
// bytes copied. skip, given the path relative to src, leaves entries out.
// Files are copied with copy_file_range (io.Copy between files), several
// at once. durable fsyncs every file and directory before returning: a
// snapshot is kept, and a crash must not leave it with pages that never
// reached the disk (PostgreSQL would read them as empty). A symbolic link
// (a tablespace) is an error: its target would be shared by every copy.
func copyDataDir(ctx context.Context, src, dst string, owner *syscall.Credential, skip func(rel string) bool, durable bool) (int64, error) {
	type job struct{ from, to string }
	var dirs []string
	jobs := make(chan job)
	var (
		mu     sync.Mutex
		total  int64
		errs   []error
		wg     sync.WaitGroup
		failed = make(chan struct{})
		once   sync.Once
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
		once.Do(func() { close(failed) })
	}
	for range copyWorkers {
		wg.Go(func() {
			for j := range jobs {
				n, err := copyFile(j.from, j.to, owner, durable)
				if err != nil {
					fail(err)
					continue
				}
				mu.Lock()
				total += n
				mu.Unlock()
			}
		})
	}
	walkErr := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if rel != "." && skip != nil && skip(filepath.ToSlash(rel)) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		to := filepath.Join(dst, rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			return fmt.Errorf("%s is a symbolic link (a tablespace?): datasets with tablespaces cannot be copied", rel)
		case d.IsDir():
			dirs = append(dirs, to)
			return makeDir(path, to, owner)
		case !d.Type().IsRegular():
			return fmt.Errorf("%s is not a regular file", rel)
		}
		select {
		case jobs <- job{path, to}:
			return nil
		case <-failed:
			return errCopyFailed
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(jobs)
	wg.Wait()
	if walkErr != nil && !errors.Is(walkErr, errCopyFailed) {
		errs = append([]error{walkErr}, errs...)
	}
	if durable && len(errs) == 0 {
		for _, dir := range append(dirs, filepath.Dir(dst)) {
			if err := syncDir(dir); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return total, errors.Join(errs...)
}

// syncDir fsyncs a directory, so that the entries created in it survive a
// crash.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

func makeDir(from, to string, owner *syscall.Credential) error {
	info, err := os.Stat(from)
	if err != nil {
		return err
	}
	if err := os.Mkdir(to, info.Mode().Perm()); err != nil {
		return err
	}
	// Mkdir applies the umask: set the mode PostgreSQL checks (0700 or 0750).
	if err := os.Chmod(to, info.Mode().Perm()); err != nil {
		return err
	}
	if owner != nil {
		return os.Chown(to, int(owner.Uid), int(owner.Gid))
	}
	return nil
}

func copyFile(from, to string, owner *syscall.Credential, durable bool) (int64, error) {
	in, err := os.Open(from)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		return 0, err
	}
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, info.Mode().Perm())
	if err != nil {
		return 0, err
	}
	// A reflink where the filesystem has them (instant, copy-on-write);
	// else copy_file_range, through io.Copy.
	var n int64
	if unix.IoctlFileClone(int(out.Fd()), int(in.Fd())) == nil {
		n = info.Size()
	} else {
		n, err = io.Copy(out, in)
	}
	if err == nil && owner != nil {
		err = out.Chown(int(owner.Uid), int(owner.Gid))
	}
	if err == nil {
		err = out.Chmod(info.Mode().Perm())
	}
	if err == nil && durable {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, fmt.Errorf("copy %s: %w", from, err)
	}
	return n, nil
}
