package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rehearse/rehearse/internal/testimage"
)

// The release image (the repository's Dockerfile) built on the test image
// (PostgreSQL from this machine's binaries, nothing pulled) rehearses a
// scenario with the local provider inside the container.
func TestReleaseImageRehearses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds an image")
	}
	base := testimage.Require(t)
	// The build context holds only the binary and the Dockerfile.
	ctxDir := t.TempDir()
	bin := filepath.Join(ctxDir, "bin", "rehearse")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dockerfile, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), dockerfile, 0o644); err != nil {
		t.Fatal(err)
	}
	tag := "rehearse-release-test:" + filepath.Base(ctxDir)
	docker := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("docker", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	docker("build", "-q", "-t", tag, "--build-arg", "BASE="+base, "--build-arg", "REHEARSE=bin/rehearse", ctxDir)
	t.Cleanup(func() { _ = exec.Command("docker", "rmi", "-f", tag).Run() })

	if out := docker("run", "--rm", tag, "version"); !strings.HasPrefix(out, "rehearse ") {
		t.Errorf("rehearse version in the image: %q", out)
	}
	testdata, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	out := docker("run", "--rm", "-v", testdata+":/work:ro", "-w", "/work", tag, "pass.yaml", "--provider", "local", "--quiet")
	if !strings.Contains(out, "PASS — tiny pass") {
		t.Errorf("rehearsal in the image:\n%s", out)
	}
}
