// Package testimage gives tests a PostgreSQL container image on machines whose
// Docker engine cannot pull one: build.sh assembles it from the PostgreSQL
// server binaries installed on the machine (`make test-image` runs it once
// per CI run; Ensure runs it when a test finds the image missing).
package testimage

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"

	"github.com/rehearse/rehearse/provider"
)

// Ref is the image build.sh tags for the newest installed major version.
const Ref = "rehearse-test/postgres:latest"

// RefEnv names the environment variable that makes tests use another image
// (for example postgres:16-alpine where it can be pulled).
const RefEnv = "REHEARSE_TEST_IMAGE"

//go:embed Dockerfile build.sh docker-entrypoint.sh
var files embed.FS

// SetEnv points testcontainers-go at published ports on localhost and turns
// Ryuk off (its image cannot be pulled here, and the provider removes its
// containers itself). Call it before anything touches testcontainers, which
// reads its configuration once per process: first thing in TestMain.
func SetEnv() {
	os.Setenv("TESTCONTAINERS_HOST_OVERRIDE", "localhost")
	os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
}

// Ensure returns the image the tests should start: $REHEARSE_TEST_IMAGE if
// set, else Ref, which it builds with build.sh if the engine lacks it. It
// returns an error wrapping provider.ErrNoDocker when no engine answers.
func Ensure(ctx context.Context) (string, error) {
	if ref := os.Getenv(RefEnv); ref != "" {
		return ref, nil
	}
	engine, err := provider.DetectDocker(ctx, provider.DefaultDetectTimeout)
	if err != nil {
		return "", err
	}
	if _, err := engine.ImageInspect(ctx, Ref); err == nil {
		return Ref, nil
	} else if !cerrdefs.IsNotFound(err) {
		return "", fmt.Errorf("inspect %s: %w", Ref, err)
	}
	return Ref, build(ctx)
}

// Require returns the image the test should start (see Ensure). Without a
// Docker engine the test is skipped, except in CI, where the engine is part
// of the machine and its absence is a failure.
func Require(tb testing.TB) string {
	tb.Helper()
	ref, err := Ensure(context.Background())
	if errors.Is(err, provider.ErrNoDocker) && os.Getenv("CI") == "" {
		tb.Skipf("container provider not tested: %v", err)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return ref
}

// build runs the embedded build.sh from a temp dir.
func build(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "rehearse-testimage-")
	if err != nil {
		return fmt.Errorf("build test image: %w", err)
	}
	defer os.RemoveAll(dir)
	for _, name := range []string{"Dockerfile", "build.sh", "docker-entrypoint.sh"} {
		data, err := files.ReadFile(name)
		if err != nil {
			return fmt.Errorf("build test image: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o755); err != nil {
			return fmt.Errorf("build test image: %w", err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "bash", filepath.Join(dir, "build.sh")).CombinedOutput()
	if err != nil {
		return fmt.Errorf("build test image %s: %w: %s", Ref, err, out)
	}
	return nil
}
