package provider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/jackc/pgx/v5"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	"github.com/testcontainers/testcontainers-go/modules/postgres"
	"github.com/testcontainers/testcontainers-go/wait"
)

// DefaultImage is the image the container provider starts when neither
// Config.Image nor Config.Version names another.
const DefaultImage = "postgres:16-alpine"

// ContainerLabel is the Docker label carried by every container (and the
// standby's network) the provider creates; its value is unique per instance,
// so Stop and Leftovers find them even when a creation was interrupted
// before Docker returned an ID.
const ContainerLabel = "org.rehearse.instance"

const (
	containerUser = "rehearse"
	// readyLine is what PostgreSQL logs once it accepts connections. The
	// official image's entrypoint logs it twice on a fresh data directory:
	// once for the temporary Unix-socket-only server that runs the init
	// scripts, once for the real server.
	readyLine            = "database system is ready to accept connections"
	defaultStartTimeout  = 2 * time.Minute
	containerStopGrace   = 10 * time.Second
	containerRemoveLimit = 30 * time.Second
	containerCreateLimit = time.Minute
	dockerCallTimeout    = 10 * time.Second
	pullTimeout          = 10 * time.Minute
	shmSize              = 1 << 30 // bytes; a tmpfs limit, not an allocation
)

// Container starts PostgreSQL in a Docker container with testcontainers-go's
// postgres module. The server gets exactly the scenario's settings as
// `-c key=value` (the module's default `-c fsync=off` is replaced: fsync stays
// on unless the scenario turns it off), its port is published on 127.0.0.1
// when the engine is local, and the container (with Config.Replica, both
// containers and their network) is removed by Instance.Stop on every exit
// path, with or without Ryuk. A Container is safe for concurrent use.
type Container struct {
	image        string
	startTimeout time.Duration
	logger       tclog.Logger
	labels       map[string]string
}

var _ Provider = (*Container)(nil)

// ContainerOption configures a Container provider.
type ContainerOption func(*Container)

// WithImage starts ref whatever Config.Image and Config.Version say (the
// --image flag). "" leaves the choice to the Config.
func WithImage(ref string) ContainerOption { return func(c *Container) { c.image = ref } }

// WithLabels adds Docker labels to the containers (a CI job's ID, say), so
// that they can be found with `docker ps --filter label=KEY=VALUE`.
func WithLabels(labels map[string]string) ContainerOption {
	return func(c *Container) { c.labels = copySettings(labels) }
}

// WithStartTimeout bounds how long Start waits for the server to be ready
// once the container runs (default 2 minutes).
func WithStartTimeout(d time.Duration) ContainerOption {
	return func(c *Container) { c.startTimeout = d }
}

// WithContainerLogger receives testcontainers-go's own log lines (default:
// discarded; Config.Log gets the provider's one-line progress either way).
func WithContainerLogger(l tclog.Logger) ContainerOption {
	return func(c *Container) { c.logger = l }
}

// NewContainer returns a container provider.
func NewContainer(opts ...ContainerOption) *Container {
	c := &Container{startTimeout: defaultStartTimeout, logger: tclog.NewNoopLogger()}
	for _, opt := range opts {
		opt(c)
	}
	return c
}

var versionPattern = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// VersionPlaceholder in an image reference stands for Config.Version, so
// that one reference serves a version matrix: "registry/postgres:{version}".
const VersionPlaceholder = "{version}"

// ImageFor returns the image a container provider started with override (the
// --image flag, "" for none) runs for cfg: override, else cfg.Image, else the
// official Alpine image of cfg.Version ("16" → postgres:16-alpine, for 13 to
// 17 and any later version alike), else DefaultImage. VersionPlaceholder in
// override or cfg.Image is replaced by cfg.Version.
func ImageFor(override string, cfg Config) (string, error) {
	ref := override
	if ref == "" {
		ref = cfg.Image
	}
	if ref != "" && strings.Contains(ref, VersionPlaceholder) {
		if !versionPattern.MatchString(cfg.Version) {
			return "", fmt.Errorf("image %q: %s needs a version such as 16, got %q", ref, VersionPlaceholder, cfg.Version)
		}
		return strings.ReplaceAll(ref, VersionPlaceholder, cfg.Version), nil
	}
	switch {
	case ref != "":
		return ref, nil
	case cfg.Version != "":
		if !versionPattern.MatchString(cfg.Version) {
			return "", fmt.Errorf("postgres version %q: want a version such as 16 or 16.4", cfg.Version)
		}
		return "postgres:" + cfg.Version + "-alpine", nil
	}
	return DefaultImage, nil
}

// Start pulls the image if the engine does not have it, starts a container
// and waits until the server accepts connections on the published port.
// With cfg.Replica it also starts a standby container streaming from the
// first over a network of their own (see startStandby). On error nothing is
// left behind.
func (c *Container) Start(ctx context.Context, cfg Config) (*Instance, error) {
	ref, err := ImageFor(c.image, cfg)
	if err != nil {
		return nil, err
	}
	engine, err := DetectDocker(ctx, DefaultDetectTimeout)
	if err != nil {
		return nil, unavailable{err}
	}
	return c.start(ctx, engine, cfg, ref, nil)
}

// start starts the server container of ref, or with ds of ds's dataset
// image (ref is then the image the dataset was loaded on, which the
// standby runs).
func (c *Container) start(ctx context.Context, engine *testcontainers.DockerClient, cfg Config, ref string, ds *datasetStart) (*Instance, error) {
	log := logWriter(cfg.Log)
	if ds == nil || cfg.Replica {
		if err := ensureImages(ctx, engine, ref, log); err != nil {
			if errors.Is(err, ErrNoImage) {
				return nil, unavailable{err}
			}
			return nil, err
		}
	}
	b := &box{engine: engine, label: randomHex(12), password: randomHex(16)}
	host, err := b.dialHost()
	if err != nil {
		return nil, err
	}
	if cfg.Replica {
		if err := b.createNetwork(ctx, c); err != nil {
			return nil, errors.Join(err, b.remove(ctx))
		}
	}
	serverRef := ref
	if ds != nil {
		serverRef = ds.image.Tag
		how := "a copy in a volume"
		if ds.thin {
			how = "the image layer (copy-on-write)"
		}
		fmt.Fprintf(log, "starting container %s (dataset image of %s) on %s\n", serverRef, ref, how)
	} else {
		fmt.Fprintf(log, "starting container %s\n", ref)
	}
	if err := b.run(ctx, serverRef, host, cfg, c, ds); err != nil {
		return nil, errors.Join(err, b.remove(ctx))
	}
	if cfg.Replica {
		if err := b.startStandby(ctx, ref, host, cfg.Settings, c, log); err != nil {
			return nil, errors.Join(err, b.remove(ctx))
		}
	}
	inst := NewInstance(b.dsn(host), "container", copySettings(cfg.Settings), b.remove)
	if b.standby != nil {
		inst.ReplicaDSN = b.standbyDSN(host)
	}
	inst.Leftovers = b.leftovers
	inst.SetKill(b.kill)
	if ds == nil {
		inst.snapshot = func(ctx context.Context, dst string) (int64, error) { return b.snapshot(ctx, inst, host, ref, dst) }
	}
	if w := b.versionWarning(ctx, inst.DSN, ref, cfg.Version); w != "" {
		inst.Warnings = append(inst.Warnings, w)
	}
	return inst, nil
}

// box is one instance's containers (the server and, with Config.Replica, its
// standby and their network) and what is needed to reach and remove them.
// Everything it creates carries ContainerLabel=label.
type box struct {
	engine   *testcontainers.DockerClient
	label    string // value of ContainerLabel
	password string
	ctr      *postgres.PostgresContainer
	port     uint16

	net         *testcontainers.DockerNetwork // nil without Config.Replica
	standby     *testcontainers.DockerContainer
	standbyPort uint16
}

// run creates and starts the container and waits until the server accepts
// connections at host. With ds the container runs a dataset image, and the
// server is made this instance's before anything dials it.
func (b *box) run(ctx context.Context, ref, host string, cfg Config, c *Container, ds *datasetStart) error {
	opts := append(b.customizers(host, cfg.Settings, c), testcontainers.WithNoStart())
	if ds != nil {
		opts = append(opts, datasetCustomizers(ds, c)...)
	}
	create := func(ctx context.Context) (*postgres.PostgresContainer, error) { return postgres.Run(ctx, ref, opts...) }
	keep := func(ctr *postgres.PostgresContainer) { b.ctr = ctr }
	port, err := createAndStart(ctx, "container "+ref, create, keep)
	if err != nil {
		return err
	}
	b.port = port
	if ds != nil {
		if err := b.adoptDataset(ctx, cfg.Replica); err != nil {
			return fmt.Errorf("start on dataset image %s: %w", ref, err)
		}
	}
	deadline := time.Now().Add(c.startTimeout)
	return waitAccepting(ctx, b.dsn(host), deadline, b.logTail)
}

// customizers configure the container: credentials, the server command,
// the label, the wait strategy and the host config.
func (b *box) customizers(host string, settings map[string]string, c *Container) []testcontainers.ContainerCustomizer {
	opts := []testcontainers.ContainerCustomizer{
		testcontainers.WithLogger(c.logger),
		postgres.WithUsername(containerUser),
		postgres.WithPassword(b.password),
		postgres.WithDatabase("postgres"),
		// Replaces the module's `postgres -c fsync=off`.
		testcontainers.WithCmd(serverCmd(settings)...),
		testcontainers.WithLabels(c.labels),
		testcontainers.WithLabels(map[string]string{ContainerLabel: b.label}),
		// The line twice, as BasicWaitStrategies does, but not its
		// ForListeningPort: that dials the host testcontainers guesses, which
		// inside a container is the Docker bridge gateway. waitAccepting
		// dials the published port instead.
		testcontainers.WithWaitStrategyAndDeadline(c.startTimeout, waitReady(2, c.startTimeout)),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			// Docker's 64 MB /dev/shm is too small for the dynamic shared memory
			// of parallel index builds and queries on production-sized tables.
			hc.ShmSize = shmSize
		}),
	}
	if isLoopback(host) {
		opts = append(opts, testcontainers.WithHostConfigModifier(publishOnLoopback))
	}
	return append(opts, b.primaryReplicaCustomizers()...)
}

// waitReady waits for the n-th readyLine of the container's log.
func waitReady(n int, timeout time.Duration) wait.Strategy {
	return wait.ForLog(readyLine).WithOccurrence(n).WithStartupTimeout(timeout)
}

// serverCmd is the container command: postgres with the settings in key order.
func serverCmd(settings map[string]string) []string {
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	cmd := []string{"postgres"}
	for _, k := range keys {
		cmd = append(cmd, "-c", k+"="+settings[k])
	}
	return cmd
}

// publishOnLoopback publishes 5432 on 127.0.0.1 only (a random port), rather
// than on every interface of the machine.
func publishOnLoopback(hc *container.HostConfig) {
	hc.PortBindings = network.PortMap{
		network.MustParsePort("5432/tcp"): {{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: "0"}},
	}
}

// dialHost is the address the published port is reached at: 127.0.0.1 when
// the engine is on this machine (a Unix socket or named pipe), the override
// in TESTCONTAINERS_HOST_OVERRIDE, else the remote engine's host name.
// testcontainers' own guess for a local engine seen from inside a container,
// the bridge gateway, is deliberately not used.
func (b *box) dialHost() (string, error) {
	if h, ok := os.LookupEnv("TESTCONTAINERS_HOST_OVERRIDE"); ok && h != "" {
		if h == "localhost" {
			return "127.0.0.1", nil
		}
		return h, nil
	}
	u, err := url.Parse(b.engine.DaemonHost())
	if err != nil {
		return "", fmt.Errorf("docker host %q: %w", b.engine.DaemonHost(), err)
	}
	switch u.Scheme {
	case "unix", "npipe":
		return "127.0.0.1", nil
	case "tcp", "http", "https":
		return u.Hostname(), nil
	}
	return "", fmt.Errorf("docker host %q: cannot tell where its ports are published; set TESTCONTAINERS_HOST_OVERRIDE", b.engine.DaemonHost())
}

func isLoopback(host string) bool {
	addr, err := netip.ParseAddr(host)
	return err == nil && addr.IsLoopback()
}

func (b *box) dsn(host string) string {
	hostPort := net.JoinHostPort(host, strconv.Itoa(int(b.port)))
	return fmt.Sprintf("postgres://%s:%s@%s/postgres?sslmode=disable", containerUser, b.password, hostPort)
}

// waitAccepting polls until a connection succeeds: the log line says the
// server is up, this says the published port reaches it.
func waitAccepting(ctx context.Context, dsn string, deadline time.Time, why func() string) error {
	for {
		connCtx, cancel := context.WithTimeout(ctx, time.Second)
		conn, err := pgx.Connect(connCtx, dsn)
		cancel()
		if err == nil {
			return conn.Close(ctx)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres in the container did not accept connections on the published port: %w%s", err, why())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// createAndStart creates a container with create, hands it to keep before
// anything else can fail (so that cleanup finds it), starts it, and returns
// its published PostgreSQL port. create must not start the container
// (testcontainers.WithNoStart).
//
// It creates without the caller's cancellation: a create request cancelled
// in flight can still leave a container that appears after our cleanup has
// looked for it. Creating is quick; the wait for readiness is what Ctrl-C
// interrupts, and by then we hold the container's ID.
func createAndStart[C testcontainers.Container](ctx context.Context, what string, create func(context.Context) (C, error), keep func(C)) (uint16, error) {
	createCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), containerCreateLimit)
	ctr, err := create(createCtx)
	cancel()
	keep(ctr)
	if err != nil {
		return 0, fmt.Errorf("create %s: %w", what, err)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := ctr.Start(ctx); err != nil {
		return 0, fmt.Errorf("start %s: %w%s", what, err, containerLogTail(ctr))
	}
	port, err := ctr.MappedPort(ctx, "5432/tcp")
	if err != nil {
		// A container that exited at once (a standby whose base backup
		// failed) has no port any more: its log says why.
		return 0, fmt.Errorf("published port of %s: %w%s", what, err, containerLogTail(ctr))
	}
	return port.Num(), nil
}

// logTail returns the server container's last log lines as "; container
// log: line | line", or "".
func (b *box) logTail() string {
	if b.ctr == nil {
		return ""
	}
	return containerLogTail(b.ctr)
}

// containerLogTail returns ctr's last log lines as "; container log: line |
// line", or "".
func containerLogTail(ctr testcontainers.Container) string {
	ctx, cancel := context.WithTimeout(context.Background(), dockerCallTimeout)
	defer cancel()
	rc, err := ctr.Logs(ctx)
	if err != nil {
		return ""
	}
	defer rc.Close()
	out, _ := io.ReadAll(rc)
	if len(out) == 0 {
		return ""
	}
	return "; container log: " + tail(out, 5)
}

// remove stops the containers, the standby first (fast shutdown, then
// SIGKILL after a grace period, none if ctx is already done), and removes
// them with their volumes, then their network. It works on a cancelled ctx:
// Ctrl-C must not leave a container running.
func (b *box) remove(ctx context.Context) error {
	grace := containerStopGrace
	if ctx.Err() != nil {
		grace = 0
	}
	rmCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*grace+containerRemoveLimit)
	defer cancel()
	var errs []error
	// The standby goes first, so that the primary's shutdown does not wait
	// to send it the final WAL.
	if b.standby != nil {
		if err := b.standby.Terminate(rmCtx, testcontainers.StopTimeout(grace)); err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove standby container: %w", err))
		}
	}
	if b.ctr != nil {
		if err := b.ctr.Terminate(rmCtx, testcontainers.StopTimeout(grace)); err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove container: %w", err))
		}
	}
	// A container whose creation was interrupted has no handle: find it by label.
	ids, err := b.labelled(rmCtx)
	if err != nil {
		errs = append(errs, err)
	}
	for _, id := range ids {
		if _, err := b.engine.ContainerRemove(rmCtx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove container %s: %w", shortID(id), err))
		}
	}
	// Only once no container is attached can the network go.
	errs = append(errs, b.removeNetworks(rmCtx))
	return errors.Join(errs...)
}

// kill removes the containers at once (SIGKILL, then removal) and their
// network, for a forced exit; it may run while remove does.
func (b *box) kill() {
	ctx, cancel := context.WithTimeout(context.Background(), containerRemoveLimit)
	defer cancel()
	ids, _ := b.labelled(ctx)
	if b.standby != nil {
		ids = append(ids, b.standby.GetContainerID())
	}
	if b.ctr != nil {
		ids = append(ids, b.ctr.GetContainerID())
	}
	for _, id := range ids {
		_, _ = b.engine.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	}
	_ = b.removeNetworks(ctx)
}

// labelled lists the IDs of this instance's containers, running or not.
func (b *box) labelled(ctx context.Context) ([]string, error) {
	res, err := b.engine.ContainerList(ctx, client.ContainerListOptions{
		All: true, Filters: client.Filters{}.Add("label", ContainerLabel+"="+b.label),
	})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	ids := make([]string, 0, len(res.Items))
	for _, c := range res.Items {
		ids = append(ids, c.ID)
	}
	return ids, nil
}

// leftovers lists this instance's containers and networks that still exist;
// a failure to ask Docker is reported as a leftover, since nothing says the
// container is gone.
func (b *box) leftovers() []string {
	ctx, cancel := context.WithTimeout(context.Background(), dockerCallTimeout)
	defer cancel()
	ids, err := b.labelled(ctx)
	if err != nil {
		return []string{"unknown: " + err.Error()}
	}
	nets, err := b.labelledNetworks(ctx)
	if err != nil {
		return []string{"unknown: " + err.Error()}
	}
	left := make([]string, 0, len(ids)+len(nets))
	for _, id := range ids {
		left = append(left, "container "+shortID(id))
	}
	for _, id := range nets {
		left = append(left, "network "+shortID(id))
	}
	return left
}

// versionWarning says when an explicit image runs another major version than
// postgres.version asks for.
func (b *box) versionWarning(ctx context.Context, dsn, ref, want string) string {
	if want == "" {
		return ""
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return ""
	}
	defer conn.Close(ctx)
	var num int
	if err := conn.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&num); err != nil {
		return ""
	}
	wantMajor, _ := strconv.Atoi(strings.SplitN(want, ".", 2)[0])
	if got := num / 10000; got != wantMajor {
		return fmt.Sprintf("postgres.version is %s but image %s runs PostgreSQL %d", want, ref, got)
	}
	return ""
}

// ensureImages makes sure the engine has ref, and the Ryuk image when
// testcontainers will start Ryuk, pulling what is missing (once, no retries).
func ensureImages(ctx context.Context, engine *testcontainers.DockerClient, ref string, log io.Writer) error {
	if err := ensureImage(ctx, engine, ref, log); err != nil {
		return err
	}
	if testcontainers.ReadConfig().RyukDisabled {
		return nil
	}
	if err := ensureImage(ctx, engine, testcontainers.ReaperDefaultImage, log); err != nil {
		return fmt.Errorf("%w; that is Ryuk, testcontainers' cleanup container, which rehearse does not need "+
			"(it removes its containers itself): set TESTCONTAINERS_RYUK_DISABLED=true", err)
	}
	return nil
}

// ErrNoImage is returned when the Docker engine does not have an image and
// cannot pull it.
var ErrNoImage = errors.New("the Docker engine cannot get image")

func ensureImage(ctx context.Context, engine *testcontainers.DockerClient, ref string, log io.Writer) error {
	inspectCtx, cancel := context.WithTimeout(ctx, dockerCallTimeout)
	_, err := engine.ImageInspect(inspectCtx, ref)
	cancel()
	if err == nil {
		return nil
	}
	if !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("inspect image %s: %w", ref, err)
	}
	// Say "pulling" only for a pull that takes a while: one that fails at
	// once is reported in the caller's single line.
	announced := make(chan struct{})
	announce := time.AfterFunc(time.Second, func() {
		defer close(announced)
		fmt.Fprintf(log, "pulling %s (not present in the Docker engine)\n", ref)
	})
	pullCtx, cancel := context.WithTimeout(ctx, pullTimeout)
	defer cancel()
	resp, err := engine.ImagePull(pullCtx, ref, client.ImagePullOptions{})
	if err == nil {
		err = resp.Wait(pullCtx)
		resp.Close()
	}
	if !announce.Stop() {
		<-announced
	}
	if err != nil {
		return fmt.Errorf("%w %s (not present; pulling it failed: %w)", ErrNoImage, ref, err)
	}
	return nil
}

func copySettings(in map[string]string) map[string]string {
	out := make(map[string]string, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
