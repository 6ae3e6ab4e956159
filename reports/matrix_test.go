package reports_test

import (
	"bytes"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rehearse/rehearse/reports"
	"github.com/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/verdict"
)

// matrixSkipped is a real matrix: widen.yaml with --pg-versions 15,14 on a
// machine with only PostgreSQL 15 installed (the command shortened).
func matrixSkipped(t *testing.T) *result.Matrix {
	t.Helper()
	m, err := reports.ReadMatrixJSON(filepath.Join("testdata", "matrix-skipped.json"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// matrixTwo puts the real unsafe.json run (PostgreSQL 15, a rewrite under
// ACCESS EXCLUSIVE, FAIL) beside a copy edited to look like a version that
// changes the type in place and passes, with a standby on both: only this
// machine's single installed version could be rehearsed for real, and the
// renderers need two columns and differences to show.
func matrixTwo(t *testing.T) *result.Matrix {
	t.Helper()
	a := *load(t, "unsafe.json")
	b := *load(t, "unsafe.json")
	b.Postgres.Version = "16.4 (edited copy)"
	b.Verdict = result.Verdict{Pass: true, Reasons: []string{}, Checks: []result.Check{{Name: "max_lock_wait", Limit: "500ms", Observed: "12ms", Pass: true}}}
	b.Steps = append([]result.Step(nil), a.Steps...)
	b.Steps[0].DurationMS, b.Steps[0].Rewrote, b.Steps[0].Scans = 3, []string{}, nil
	b.Steps[0].Locks = []result.StepLock{{Relation: "users", Mode: "AccessExclusiveLock", HeldMS: 3}}
	b.Workloads = append([]result.Workload(nil), a.Workloads...)
	b.Workloads[0].Migration.P99MS = 4.2
	b.LockWaits = result.LockWaits{Count: 1, MaxMS: 12, Events: []result.LockEvent{}}
	a.Replication = &result.Replication{Standbys: 1, MaxReplayLagMS: 5300, MaxLagBytes: 310 << 20, WALBytes: 420 << 20, MaxReplayLagPhase: "widen"}
	b.Replication = &result.Replication{Standbys: 1, MaxReplayLagMS: 40, MaxLagBytes: 2 << 20, WALBytes: 3 << 20, MaxReplayLagPhase: "widen"}
	runs := []result.VersionRun{{Version: "15", Result: a}, {Version: "16", Result: b}}
	return &result.Matrix{SchemaVersion: result.SchemaVersion, Kind: result.KindMatrix, Scenario: a.Scenario, StartedAt: a.StartedAt,
		DurationMS: 61_000, Command: "rehearse scenarios/examples/unsafe-type-change.yaml --pg-versions 15,16,17",
		Versions: []string{"15", "16", "17"}, Runs: runs,
		Skipped:     []result.SkippedVersion{{Version: "17", Reason: "PostgreSQL 17 is not installed locally; found /usr/lib/postgresql/15/bin (15)"}},
		Differences: verdict.Differences(runs)}
}

func renderMatrix(t *testing.T, m *result.Matrix, fn func(io.Writer, *result.Matrix) error) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := fn(&buf, m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestMatrixGolden(t *testing.T) {
	t.Parallel()
	for name, m := range map[string]*result.Matrix{"matrix-skipped": matrixSkipped(t), "matrix-two": matrixTwo(t)} {
		golden(t, name+".txt", renderMatrix(t, m, reports.MatrixText))
		golden(t, name+".md", renderMatrix(t, m, reports.MatrixMarkdown))
	}
}

func TestMatrixShowsVersionsSideBySide(t *testing.T) {
	t.Parallel()
	md := string(renderMatrix(t, matrixTwo(t), reports.MatrixMarkdown))
	first, _, _ := strings.Cut(md, "\n")
	for _, want := range []string{"FAIL", "version matrix", "FAIL on 15; PASS on 16; skipped 17"} {
		if !strings.Contains(first, want) {
			t.Errorf("first line %q lacks %q", first, want)
		}
	}
	for _, want := range []string{
		"|  | PostgreSQL 15 | PostgreSQL 16 |",
		"| **step widen** | 4.71s<br>users AccessExclusive<br>users\\_pkey AccessExclusive<br>rewrote users | 3.00ms<br>users AccessExclusive |",
		"- step widen, table users: rewrites on 15; does not rewrite on 16",
		"- **17**: PostgreSQL 17 is not installed locally",
		"| **standby replay lag** | max 5.30s, 310 MiB behind | max 40ms, 2.0 MiB behind |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
}

func TestMatrixJSONRoundTrip(t *testing.T) {
	t.Parallel()
	m := matrixTwo(t)
	path := filepath.Join(t.TempDir(), "m.json")
	if err := reports.WriteMatrixFile(path, m, reports.MatrixJSON); err != nil {
		t.Fatal(err)
	}
	back, err := reports.ReadMatrixJSON(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Runs) != 2 || back.Runs[1].Version != "16" || back.Runs[0].Replication.MaxLagBytes != 310<<20 || len(back.Differences) != len(m.Differences) {
		t.Errorf("round trip lost data: %+v", back)
	}
	if _, err := reports.ReadMatrixJSON(filepath.Join("testdata", "unsafe.json")); err == nil || !strings.Contains(err.Error(), `kind ""`) {
		t.Errorf("a single result read as a matrix: %v", err)
	}
}
