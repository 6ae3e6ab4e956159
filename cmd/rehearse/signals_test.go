package main

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rehearse/rehearse/result"
)

// buildBinary builds the command once per test binary run.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "rehearse")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

var dataDirLine = regexp.MustCompile(`initdb (\S+)/data`)

// startAndWaitFor starts the binary and reads its stderr until a line
// contains marker; it returns the server's temp dir.
func startAndWaitFor(t *testing.T, cmd *exec.Cmd, marker string) (tempDir string, rest io.Reader) {
	t.Helper()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewReader(stderr)
	for {
		line, err := lines.ReadString('\n')
		if m := dataDirLine.FindStringSubmatch(line); m != nil {
			tempDir = m[1]
		}
		if strings.Contains(line, marker) {
			return tempDir, lines
		}
		if err != nil {
			cmd.Process.Kill()
			t.Fatalf("stderr ended before %q", marker)
		}
	}
}

// assertGone checks the server's temp dir is removed and no process runs in it.
func assertGone(t *testing.T, tempDir string) {
	t.Helper()
	if tempDir == "" {
		t.Fatal("never saw the server's temp dir")
	}
	if _, err := os.Stat(tempDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temp dir %s still exists", tempDir)
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		cmdline, _ := os.ReadFile(p)
		if strings.Contains(string(cmdline), tempDir) {
			t.Errorf("process %s still runs in %s: %q", p, tempDir, cmdline)
		}
	}
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err == nil {
		return 0
	}
	return -1
}

func TestCtrlCWritesAnAbortedResultAndRemovesTheServer(t *testing.T) {
	bin := buildBinary(t)
	jsonPath := filepath.Join(t.TempDir(), "r.json")
	cmd := exec.Command(bin, "--provider", "local", "testdata/long.yaml", "--json", jsonPath)
	tempDir, rest := startAndWaitFor(t, cmd, "baseline:")
	cmd.Process.Signal(syscall.SIGINT)
	io.Copy(io.Discard, rest)
	if code := exitCode(cmd.Wait()); code != exitCannotRun {
		t.Errorf("exit code %d, want 2", code)
	}
	assertGone(t, tempDir)
	res := readResult(t, jsonPath)
	if res.Status != result.StatusAborted || res.AbortedIn != "baseline" || res.Error != "interrupted" {
		t.Errorf("result status=%s aborted_in=%s error=%q", res.Status, res.AbortedIn, res.Error)
	}
}

func TestSecondCtrlCForcesExitAndStillRemovesTheServer(t *testing.T) {
	bin := buildBinary(t)
	cmd := exec.Command(bin, "--provider", "local", "testdata/long.yaml")
	tempDir, rest := startAndWaitFor(t, cmd, "applying baseline schema")
	cmd.Process.Signal(syscall.SIGINT)
	cmd.Process.Signal(syscall.SIGINT)
	io.Copy(io.Discard, rest)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if code := exitCode(err); code != exitCannotRun {
			t.Errorf("exit code %d, want 2", code)
		}
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		t.Fatal("a second Ctrl-C did not end the process")
	}
	assertGone(t, tempDir)
}

func TestSIGTERMIsAnInterruptToo(t *testing.T) {
	bin := buildBinary(t)
	cmd := exec.Command(bin, "--provider", "local", "testdata/long.yaml")
	tempDir, rest := startAndWaitFor(t, cmd, "baseline:")
	cmd.Process.Signal(syscall.SIGTERM)
	io.Copy(io.Discard, rest)
	if code := exitCode(cmd.Wait()); code != exitCannotRun {
		t.Errorf("exit code %d, want 2", code)
	}
	assertGone(t, tempDir)
}
