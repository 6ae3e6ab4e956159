package verdict

import (
	"reflect"
	"testing"

	"github.com/rehearse/rehearse/result"
)

// run is a completed result of version v with one workload and the steps given.
func run(v string, pass bool, p99 float64, steps ...result.Step) result.VersionRun {
	return result.VersionRun{Version: v, Result: result.Result{Status: result.StatusCompleted, Verdict: result.Verdict{Pass: pass}, Steps: steps,
		Workloads: []result.Workload{{Name: "old", Migration: result.PhaseStats{Count: 100, P99MS: p99}}}}}
}

func TestDifferences(t *testing.T) {
	t.Parallel()
	rewrite := result.Step{Name: "widen", Rewrote: []string{"users"},
		Locks: []result.StepLock{{Relation: "users", Mode: "AccessExclusiveLock"}, {Relation: "users", Mode: "ShareLock"}}}
	inPlace := result.Step{Name: "widen", Locks: []result.StepLock{{Relation: "users", Mode: "AccessExclusiveLock"}}}
	scan := result.Step{Name: "not_null", Scans: []result.TableScan{{Relation: "users", BlocksWrites: true}},
		Locks: []result.StepLock{{Relation: "users", Mode: "AccessExclusiveLock"}}}
	noScan := result.Step{Name: "not_null", Locks: []result.StepLock{{Relation: "users", Mode: "AccessExclusiveLock"}}}
	concurrently := result.Step{Name: "index", Locks: []result.StepLock{{Relation: "users", Mode: "ShareUpdateExclusiveLock"}}}
	failed := result.Step{Name: "index", Error: "syntax error", SQLState: "42601"}

	for _, tc := range []struct {
		name string
		runs []result.VersionRun
		want []string
	}{
		{"one run", []result.VersionRun{run("15", true, 3)}, []string{}},
		{"alike", []result.VersionRun{run("15", true, 3, inPlace), run("16", true, 4, inPlace)}, []string{}},
		{"a rewrite on one version only", []result.VersionRun{run("13", false, 3, rewrite), run("15", true, 3, inPlace), run("16", true, 3, inPlace)},
			[]string{
				"verdict: FAIL on 13; PASS on 15, 16",
				"step widen, table users: rewrites on 13; does not rewrite on 15, 16",
			}},
		{"a scan and a lock", []result.VersionRun{run("14", true, 3, scan, concurrently), run("15", true, 3, noScan, failed)},
			[]string{
				"step not_null, table users: scans it under a write-blocking lock on 14; no write-blocking scan on 15",
				"step index: succeeds on 14; fails (SQLSTATE 42601) on 15",
				"step index, strongest lock on users: ShareUpdateExclusiveLock on 14; no lock on 15",
			}},
		{"p99 far apart", []result.VersionRun{run("13", true, 48), run("15", true, 3.1)},
			[]string{"p99 of workload old during the migration: 13 48ms, 15 3.10ms (15×)"}},
		{"p99 apart but under the floor", []result.VersionRun{run("13", true, 4), run("15", true, 1)}, []string{}},
		{"a step only one version reached", []result.VersionRun{run("13", true, 3, inPlace), run("15", true, 3)}, []string{}},
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
	aborted.Status = result.StatusAborted
	got := Differences([]result.VersionRun{aborted, run("15", true, 3)})
	if want := []string{"verdict: ABORTED on 13; PASS on 15"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q: an aborted run's latency is not comparable", got, want)
	}
}
