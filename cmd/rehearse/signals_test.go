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
func startAndWaitFor(t *testing.T, cmd *exec.Cmd, marker string) (tempDir string, rest *bufio.Reader) {
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

// The second Ctrl-C must end the process even when the orderly stop cannot
// finish: here it never can, as the aborted result goes to a full FIFO that
// nobody reads, so without the force-exit branch the process would hang
// there (and print no forced exit). The second signal is sent only once the
// first is handled: two signals sent at once may arrive as one.
func TestSecondCtrlCForcesExitAndStillRemovesTheServer(t *testing.T) {
	bin := buildBinary(t)
	cmd := exec.Command(bin, "--provider", "local", "testdata/long.yaml", "--json", fullFIFO(t))
	// In the baseline, so that Run returns a result to write (an interrupt
	// before it returns none).
	tempDir, rest := startAndWaitFor(t, cmd, "baseline:")
	cmd.Process.Signal(syscall.SIGINT)
	readUntil(t, cmd, rest, "again to force")
	cmd.Process.Signal(syscall.SIGINT)
	type ended struct {
		err    error
		stderr string
	}
	done := make(chan ended, 1)
	go func() {
		tail, _ := io.ReadAll(rest)
		done <- ended{cmd.Wait(), string(tail)}
	}()
	select {
	case e := <-done:
		if code := exitCode(e.err); code != exitCannotRun {
			t.Errorf("exit code %d, want 2", code)
		}
		if !strings.Contains(e.stderr, "rehearse: forced exit: killing the server") {
			t.Errorf("stderr after the second Ctrl-C lacks the forced exit:\n%s", e.stderr)
		}
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		t.Fatal("a second Ctrl-C did not end the process")
	}
	assertGone(t, tempDir)
}

// fullFIFO returns a FIFO whose buffer the test has filled and holds open
// until it ends: a write to it blocks (opening it does not, as os.Create
// opens read-write).
func fullFIFO(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	fd, err := syscall.Open(path, syscall.O_RDWR|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	// Pages first, then bytes for any room a page does not fit in.
	for _, chunk := range [][]byte{make([]byte, 4096), {0}} {
		for {
			if _, err := syscall.Write(fd, chunk); errors.Is(err, syscall.EAGAIN) {
				break
			} else if err != nil {
				t.Fatal(err)
			}
		}
	}
	return path
}

// readUntil reads r until a line contains marker.
func readUntil(t *testing.T, cmd *exec.Cmd, r *bufio.Reader, marker string) {
	t.Helper()
	for {
		line, err := r.ReadString('\n')
		if strings.Contains(line, marker) {
			return
		}
		if err != nil {
			cmd.Process.Kill()
			t.Fatalf("stderr ended before %q", marker)
		}
	}
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
