package provider

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrUnavailable marks an error saying that a provider cannot start the
// version asked for on this machine (its binaries are not installed, its
// image cannot be had): a version matrix skips such a version and says why.
var ErrUnavailable = errors.New("PostgreSQL version not available")

// VersionChecker is implemented by providers that can tell, before starting
// anything, whether they can start a version.
type VersionChecker interface {
	// CheckVersion returns nil when Start can start cfg.Version (and, for
	// containers, cfg.Image), an error wrapping ErrUnavailable when this
	// machine cannot, and another error when the question cannot be answered.
	CheckVersion(ctx context.Context, cfg Config) error
}

var (
	_ VersionChecker = (*Local)(nil)
	_ VersionChecker = (*Container)(nil)
)

// unavailable keeps err's message and makes it match ErrUnavailable too.
type unavailable struct{ err error }

func (u unavailable) Error() string   { return u.err.Error() }
func (u unavailable) Unwrap() []error { return []error{ErrUnavailable, u.err} }

// CheckVersion says whether the binaries of cfg.Version are installed (with
// WithBinDir: whether that installation is of cfg.Version).
func (l *Local) CheckVersion(_ context.Context, cfg Config) error {
	bin, err := l.findBinDir(cfg.Version)
	if err != nil {
		return unavailable{err}
	}
	if l.binDir != "" && cfg.Version != "" {
		if want, _ := strconv.Atoi(strings.SplitN(cfg.Version, ".", 2)[0]); bin.Major != want {
			return unavailable{fmt.Errorf("PostgreSQL %s is not the installation in %s (%s)", cfg.Version, bin.Path, majorText(bin.Major))}
		}
	}
	return nil
}

// CheckVersion says whether a Docker engine answers and has, or can pull,
// the image of cfg (pulling it if needed, so that Start does not).
func (c *Container) CheckVersion(ctx context.Context, cfg Config) error {
	ref, err := ImageFor(c.image, cfg)
	if err != nil {
		return err
	}
	engine, err := DetectDocker(ctx, DefaultDetectTimeout)
	if err != nil {
		return unavailable{err}
	}
	if err := ensureImages(ctx, engine, ref, logWriter(cfg.Log)); err != nil {
		if errors.Is(err, ErrNoImage) {
			return unavailable{err}
		}
		return err
	}
	return nil
}
