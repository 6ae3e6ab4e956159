package provider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// DefaultDetectTimeout bounds how long DetectDocker waits for an engine to
// answer, so that `--provider auto` never hangs where Docker is absent.
const DefaultDetectTimeout = 3 * time.Second

// ErrNoDocker is returned (wrapped, with the reason) when no Docker engine answers.
var ErrNoDocker = errors.New("no Docker engine answers")

// Request is where the user asked PostgreSQL to come from: the flags, plus
// the scenario's postgres section for the image.
type Request struct {
	// Name is "auto" (or ""), "container", "local", "dsn" or "command".
	Name string
	// DSN, Disposable and ForceNonEmpty are --dsn, --disposable and
	// --force-nonempty; a DSN makes "auto" mean "dsn".
	DSN           string
	Disposable    bool
	ForceNonEmpty bool
	// CloneCreate and CloneDestroy are --clone-create and --clone-destroy
	// (or postgres.clone): the commands of --provider command, which
	// "auto" means when they are given.
	CloneCreate, CloneDestroy string
	// Image is --image: it overrides Postgres.Image and Postgres.Version.
	Image string
	// Postgres carries the scenario's Image, Version and Replica (Settings are unused).
	Postgres Config
	// Log receives one line saying what "auto" chose and why; nil discards it.
	Log io.Writer
}

// ChooseOption tunes Choose.
type ChooseOption func(*chooseOptions)

type chooseOptions struct {
	detectTimeout time.Duration
}

// WithDetectTimeout bounds the wait for a Docker engine (default DefaultDetectTimeout).
func WithDetectTimeout(d time.Duration) ChooseOption {
	return func(o *chooseOptions) { o.detectTimeout = d }
}

// Choose returns the provider req asks for. "auto" is the container provider
// when a Docker engine answers within the detection timeout and has (or can
// pull) the image, else the local provider when PostgreSQL binaries are
// installed (saying why in one line to req.Log), else an error saying how to
// get either. "container" without an engine or without the image is an
// error. An image missing from the engine is pulled here, before the
// rehearsal, so that the provider's start time does not include it.
func Choose(ctx context.Context, req Request, opts ...ChooseOption) (Provider, error) {
	o := chooseOptions{detectTimeout: DefaultDetectTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	log := logWriter(req.Log)
	name := req.Name
	if (name == "" || name == "auto") && req.DSN != "" {
		name = "dsn"
	}
	if (name == "" || name == "auto") && (req.CloneCreate != "" || req.CloneDestroy != "") {
		name = "command"
	}
	if name != "command" && (req.CloneCreate != "" || req.CloneDestroy != "") {
		return nil, errors.New("--clone-create and --clone-destroy are only used with --provider command")
	}
	if name != "dsn" && req.DSN != "" {
		return nil, errors.New("--dsn is only used with --provider dsn")
	}
	if req.Image != "" && name != "auto" && name != "" && name != "container" {
		return nil, fmt.Errorf("--image is only used with --provider container or auto, not %s", name)
	}
	switch name {
	case "", "auto":
		return chooseAuto(ctx, req, o, log)
	case "container":
		if err := containerUsable(ctx, req, o, log); err != nil {
			if errors.Is(err, ErrNoDocker) {
				return nil, fmt.Errorf("--provider container needs a running Docker engine: %w; "+
					"start Docker (or point DOCKER_HOST at one), or use --provider local", err)
			}
			return nil, fmt.Errorf("--provider container: %w", err)
		}
		return NewContainer(WithImage(req.Image)), nil
	case "local":
		return NewLocal(), nil
	case "dsn":
		if req.DSN == "" {
			return nil, errors.New("--provider dsn needs --dsn URL")
		}
		return DSN{URL: req.DSN, Disposable: req.Disposable, ForceNonEmpty: req.ForceNonEmpty}, nil
	case "command":
		if req.CloneCreate == "" || req.CloneDestroy == "" {
			return nil, errors.New("--provider command needs --clone-create CMD and --clone-destroy CMD (or postgres.clone in the scenario)")
		}
		return Command{Create: req.CloneCreate, Destroy: req.CloneDestroy}, nil
	}
	return nil, fmt.Errorf("unknown --provider %q: want auto, container, local, dsn or command", req.Name)
}

func chooseAuto(ctx context.Context, req Request, o chooseOptions, log io.Writer) (Provider, error) {
	dockerErr := containerUsable(ctx, req, o, log)
	if dockerErr == nil {
		return NewContainer(WithImage(req.Image)), nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	bin, localErr := FindBinDir(req.Postgres.Version)
	if localErr != nil {
		return nil, fmt.Errorf("no PostgreSQL to rehearse on. Docker: %v. Local: %v. "+
			"Either start a Docker engine (https://docs.docker.com/engine/install/), "+
			"or install the PostgreSQL server binaries (Debian/Ubuntu: apt-get install -y postgresql) or set %s",
			dockerErr, localErr, BinDirEnv)
	}
	fmt.Fprintf(log, "%v; using local PostgreSQL %s (%s)\n", dockerErr, majorText(bin.Major), bin.Path)
	return NewLocal(), nil
}

// containerUsable says whether the container provider can start req's image:
// an engine answers and has or can pull the image (and Ryuk's, if enabled).
func containerUsable(ctx context.Context, req Request, o chooseOptions, log io.Writer) error {
	ref, err := ImageFor(req.Image, req.Postgres)
	if err != nil {
		return err
	}
	engine, err := DetectDocker(ctx, o.detectTimeout)
	if err != nil {
		return err
	}
	return ensureImages(ctx, engine, ref, log)
}

// DetectDocker returns a client of the Docker engine that testcontainers-go
// finds (DOCKER_HOST, the Docker context, the default socket, ...), once it
// has answered a ping, or an error wrapping ErrNoDocker after at most
// timeout. When DOCKER_HOST is set, only that engine counts: testcontainers
// would quietly try the default socket next, which is not what the user
// asked for. testcontainers caches what it finds for the life of the process.
func DetectDocker(ctx context.Context, timeout time.Duration) (*testcontainers.DockerClient, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	type answer struct {
		engine *testcontainers.DockerClient
		err    error
	}
	done := make(chan answer, 1)
	// The detection honours ctx, but it also reads files and runs under
	// testcontainers' process-wide once: the select makes the bound certain.
	go func() {
		engine, err := detectDocker(ctx)
		done <- answer{engine, err}
	}()
	select {
	case a := <-done:
		return a.engine, a.err
	case <-ctx.Done():
		return nil, fmt.Errorf("%w within %s", ErrNoDocker, timeout)
	}
}

func detectDocker(ctx context.Context) (*testcontainers.DockerClient, error) {
	if host := os.Getenv("DOCKER_HOST"); host != "" {
		if err := ping(ctx, client.FromEnv); err != nil {
			return nil, fmt.Errorf("%w at DOCKER_HOST=%s: %v", ErrNoDocker, host, rootCause(err))
		}
	}
	engine, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoDocker, rootCause(err))
	}
	if _, err := engine.Ping(ctx, client.PingOptions{}); err != nil {
		return nil, fmt.Errorf("%w at %s: %v", ErrNoDocker, engine.DaemonHost(), rootCause(err))
	}
	return engine, nil
}

// rootCause shortens the Docker client's connection errors to the network
// error inside ("dial unix /var/run/docker.sock: connect: permission denied").
func rootCause(err error) error {
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return opErr
	}
	return err
}

func ping(ctx context.Context, opts ...client.Opt) error {
	cli, err := client.New(opts...)
	if err != nil {
		return err
	}
	defer cli.Close()
	_, err = cli.Ping(ctx, client.PingOptions{})
	return err
}
