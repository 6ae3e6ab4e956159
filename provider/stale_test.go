package provider

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

func TestMakeClusterDirRemovesOnlyWhatIsLeftBehind(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	old := time.Now().Add(-time.Hour)
	mk := func(name string, pid int, modTime time.Time) string {
		dir := filepath.Join(os.TempDir(), name)
		if err := os.MkdirAll(filepath.Join(dir, "data"), 0o700); err != nil {
			t.Fatal(err)
		}
		if pid > 0 {
			os.WriteFile(filepath.Join(dir, "data", "postmaster.pid"), []byte(strconv.Itoa(pid)+"\n/x\n"), 0o600)
		}
		os.Chtimes(dir, modTime, modTime)
		return dir
	}
	deadServer := mk("rehearse-pg-dead", 1<<22+12345, old) // beyond pid_max: no such process
	noPIDFile := mk("rehearse-pg-nopid", 0, old)
	liveServer := mk("rehearse-pg-live", os.Getpid(), old)
	starting := mk("rehearse-pg-starting", 0, time.Now())
	other := mk("not-ours", 0, old)

	dir, err := makeClusterDir("rehearse-pg-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	for path, wantGone := range map[string]bool{deadServer: true, noPIDFile: true, liveServer: false, starting: false, other: false} {
		_, err := os.Stat(path)
		if gone := os.IsNotExist(err); gone != wantGone {
			t.Errorf("%s: gone=%v, want %v", filepath.Base(path), gone, wantGone)
		}
	}
}
