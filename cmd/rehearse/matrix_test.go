package main

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rehearse/rehearse/provider"
	"github.com/rehearse/rehearse/reports"
	"github.com/rehearse/rehearse/result"
)

// localVersions returns the newest installed major version and one that is
// not installed.
func localVersions(t *testing.T) (have, missing string) {
	t.Helper()
	dirs := provider.FindBinDirs()
	if len(dirs) == 0 {
		t.Fatal("no PostgreSQL binaries")
	}
	installed := map[int]bool{}
	for _, d := range dirs {
		installed[d.Major] = true
	}
	for v := 17; v >= 10; v-- {
		if !installed[v] {
			return strconv.Itoa(dirs[0].Major), strconv.Itoa(v)
		}
	}
	t.Fatal("no missing version to test with")
	return "", ""
}

func TestMatrixFlagsThatCannotWorkExitTwo(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--pg-versions", "15,x"}, `"x" is not a major version`},
		{[]string{"--pg-versions", "15,15"}, "15 is listed twice"},
		{[]string{"--pg-versions", "15,16", "--html", "h.html"}, "--html and --junit are not written for a version matrix"},
		{[]string{"--pg-versions", "15,16", "--image", "my/pg:15"}, "--image my/pg:15 is one image for 2 versions"},
		{[]string{"--pg-versions", "15", "--dsn", "postgres://u@127.0.0.1:1/db", "--disposable"}, "cannot run a version matrix"},
	} {
		code, _, errOut := run(t, append([]string{"testdata/pass.yaml", "--provider", "local"}, tc.args...)...)
		if code != exitCannotRun || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
}

func TestMatrixOfMissingVersionsExitsTwo(t *testing.T) {
	_, missing := localVersions(t)
	code, out, errOut := run(t, "testdata/pass.yaml", "--provider", "local", "--pg-versions", missing)
	if code != exitCannotRun || !strings.Contains(errOut, "no version could be rehearsed") {
		t.Errorf("exit %d, stderr %q; want 2 saying no version could be rehearsed", code, errOut)
	}
	if !strings.Contains(out, "Skipped") || !strings.Contains(out, "PostgreSQL "+missing+" is not installed locally") {
		t.Errorf("the summary does not list %s as skipped with the reason:\n%s", missing, out)
	}
}

// The installed version runs and passes, the missing one is skipped: exit
// 0, and the JSON is a matrix whose run reproduces with --pg-versions.
func TestMatrixRunsInstalledAndSkipsMissing(t *testing.T) {
	have, missing := localVersions(t)
	dir := t.TempDir()
	jsonPath, mdPath := filepath.Join(dir, "m.json"), filepath.Join(dir, "m.md")
	code, out, errOut := run(t, "testdata/pass.yaml", "--provider", "local", "-q", "--pg-versions", have+","+missing,
		"--json", jsonPath, "--markdown", mdPath)
	if code != exitPass {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	m, err := reports.ReadMatrixJSON(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Runs) != 1 || m.Runs[0].Version != have || m.Runs[0].Status != result.StatusCompleted {
		t.Fatalf("runs %+v", m.Runs)
	}
	if len(m.Skipped) != 1 || m.Skipped[0].Version != missing {
		t.Errorf("skipped %+v, want %s", m.Skipped, missing)
	}
	if !strings.HasSuffix(m.Runs[0].Command, "--pg-versions "+have) || !strings.Contains(m.Command, "--pg-versions "+have+","+missing) {
		t.Errorf("commands: matrix %q, run %q", m.Command, m.Runs[0].Command)
	}
	if !strings.Contains(out, "PASS on "+have+"; skipped "+missing) {
		t.Errorf("summary:\n%s", out)
	}
}
