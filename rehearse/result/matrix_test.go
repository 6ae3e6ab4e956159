package result

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// run is a completed result of version v with one workload and the steps given.
func run(v string, pass bool, p99 float64, steps ...Step) VersionRun {
	return VersionRun{Version: v, Result: Result{Status: StatusCompleted, Verdict: Verdict{Pass: pass}, Steps: steps,
		Workloads: []Workload{{Name: "old", Migration: PhaseStats{Count: 100, P99MS: p99}}}}}
}

func TestDifferences(t *testing.T) {
	t.Parallel()
	rewrite := Step{Name: "widen", Rewrote: []string{"users"},
		Locks: []StepLock{{Relation: "users", Mode: "AccessExclusiveLock"}, {Relation: "users", Mode: "ShareLock"}}}
	inPlace := Step{Name: "widen", Locks: []StepLock{{Relation: "users", Mode: "AccessExclusiveLock"}}}
	scan := Step{Name: "not_null", Scans: []TableScan{{Relation: "users", BlocksWrites: true}},
		Locks: []StepLock{{Relation: "users", Mode: "AccessExclusiveLock"}}}
	noScan := Step{Name: "not_null", Locks: []StepLock{{Relation: "users", Mode: "AccessExclusiveLock"}}}
	concurrently := Step{Name: "index", Locks: []StepLock{{Relation: "users", Mode: "ShareUpdateExclusiveLock"}}}
	failed := Step{Name: "index", Error: "syntax error", SQLState: "42601"}

	for _, tc := range []struct {
		name string
		runs []VersionRun
		want []string
	}{
		{"one run", []VersionRun{run("15", true, 3)}, []string{}},
		{"alike", []VersionRun{run("15", true, 3, inPlace), run("16", true, 4, inPlace)}, []string{}},
		{"a rewrite on one version only", []VersionRun{run("13", false, 3, rewrite), run("15", true, 3, inPlace), run("16", true, 3, inPlace)},
			[]string{
				"verdict: FAIL on 13; PASS on 15, 16",
				"step widen, table users: rewrites on 13; does not rewrite on 15, 16",
			}},
		{"a scan and a lock", []VersionRun{run("14", true, 3, scan, concurrently), run("15", true, 3, noScan, failed)},
			[]string{
				"step not_null, table users: scans it under a write-blocking lock on 14; no write-blocking scan on 15",
				"step index: succeeds on 14; fails (SQLSTATE 42601) on 15",
				"step index, strongest lock on users: ShareUpdateExclusiveLock on 14; no lock on 15",
			}},
		{"p99 far apart", []VersionRun{run("13", true, 48), run("15", true, 3.1)},
			[]string{"p99 of workload old during the migration: 13 48ms, 15 3.10ms (15×)"}},
		{"p99 apart but under the floor", []VersionRun{run("13", true, 4), run("15", true, 1)}, []string{}},
		{"a step only one version reached", []VersionRun{run("13", true, 3, inPlace), run("15", true, 3)}, []string{}},
	} {
		got := Differences(tc.runs)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

func TestDifferencesLeaveAbortedFiguresOut(t *testing.T) {
	t.Parallel()
	aborted := run("13", false, 900)
	aborted.Status = StatusAborted
	got := Differences([]VersionRun{aborted, run("15", true, 3)})
	if want := []string{"verdict: ABORTED on 13; PASS on 15"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q: an aborted run's latency is not comparable", got, want)
	}
}

func TestMatrixOutcome(t *testing.T) {
	t.Parallel()
	aborted := run("13", false, 1)
	aborted.Status = StatusAborted
	for _, tc := range []struct {
		runs []VersionRun
		want string
	}{
		{nil, "ABORTED"},
		{[]VersionRun{run("15", true, 1), run("16", true, 1)}, "PASS"},
		{[]VersionRun{run("15", true, 1), run("16", false, 1)}, "FAIL"},
		{[]VersionRun{run("15", false, 1), aborted}, "ABORTED"},
	} {
		m := Matrix{Runs: tc.runs}
		if got := m.Outcome(); got != tc.want {
			t.Errorf("Outcome of %d runs = %s, want %s", len(tc.runs), got, tc.want)
		}
	}
}

// Each run reads as a Result: its fields are inlined beside "version".
func TestVersionRunJSONInlinesTheResult(t *testing.T) {
	t.Parallel()
	data, err := json.Marshal(run("15", true, 3))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), `{"version":"15","schema_version":0,"scenario":""`) {
		t.Errorf("JSON starts %.80s", data)
	}
	var back Result
	if err := json.Unmarshal(data, &back); err != nil || back.Status != StatusCompleted || len(back.Workloads) != 1 {
		t.Errorf("decoded as a Result: %+v, %v", back, err)
	}
}
