package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// staleAfter is how old a cluster dir without a live server must be before it
// counts as left behind: younger ones may belong to a rehearsal that is
// still running initdb.
const staleAfter = 10 * time.Minute

// makeClusterDir creates the temp dir of a new cluster. It first removes the
// dirs that rehearsals killed with SIGKILL left behind: their servers died
// with them (Pdeathsig), but nothing could remove the files.
func makeClusterDir(prefix string) (string, error) {
	removeStaleDirs()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", fmt.Errorf("create temp dir: %w", err)
	}
	return dir, nil
}

func removeStaleDirs() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "rehearse-pg-*"))
	for _, dir := range dirs {
		if isStale(dir) {
			os.RemoveAll(dir)
		}
	}
}

// isStale reports whether dir is an old cluster dir whose postmaster is gone.
func isStale(dir string) bool {
	info, err := os.Stat(dir)
	if err != nil || !info.IsDir() || time.Since(info.ModTime()) < staleAfter {
		return false
	}
	pid, ok := postmasterPID(filepath.Join(dir, "data", "postmaster.pid"))
	return !ok || !alive(pid)
}

// postmasterPID reads the first line of a postmaster.pid file.
func postmasterPID(path string) (int, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(data), "\n", 2)[0]))
	return pid, err == nil && pid > 0
}

func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}
