package verdict

import (
	"strings"
	"testing"
	"time"

	"github.com/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
)

func dur(d time.Duration) *scenarios.Duration { v := scenarios.Duration(d); return &v }

func checkNamed(t *testing.T, v result.Verdict, name string) result.Check {
	t.Helper()
	for _, c := range v.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no check %q in %+v", name, v.Checks)
	return result.Check{}
}

func TestJudge(t *testing.T) {
	t.Parallel()
	ratio := 2.0
	steps := []result.Step{{Name: "widen", DurationMS: 3000, Rewrote: []string{"users"},
		Locks: []result.StepLock{{Relation: "users", Mode: "AccessExclusiveLock", HeldMS: 2900}},
		Scans: []result.TableScan{{Relation: "users", Rows: 10, Mode: "AccessExclusiveLock", BlocksWrites: true}}}}
	workload := result.Workload{Name: "old",
		Queries:   []result.Query{{Name: "q", Count: 1000, Errors: 10, ErrorsBySQLState: map[string]int64{"42703": 10}}},
		ByPhase:   map[string]result.PhaseStats{"baseline": {Count: 500, P99MS: 2}},
		Migration: result.PhaseStats{Count: 100, P99MS: 5}}
	res := &result.Result{Steps: steps, Workloads: []result.Workload{workload},
		LockWaits: result.LockWaits{MaxMS: 700, Events: []result.LockEvent{{Workload: "old", Query: "q", Relation: "users", WaitMS: 700, BlockedBy: "ALTER"}}},
		Compatibility: []result.Compatibility{
			{Workload: "new", Query: "n", AfterStep: "baseline", OK: false, SQLState: "42703", Running: false},
			{Workload: "old", Query: "q", AfterStep: "widen", OK: false, SQLState: "42703", Error: `column "v" does not exist`, Running: true}}}
	sc := &scenarios.Scenario{Migration: scenarios.Migration{Steps: []*scenarios.Step{{Name: "widen"}}},
		Thresholds: scenarios.Thresholds{MaxLockWait: dur(500 * time.Millisecond), P99Regression: &ratio,
			MaxErrorRate: map[string]float64{"old": 0.05}, MaxDuration: dur(time.Second),
			Forbid: []scenarios.ForbidRule{{Rule: scenarios.ForbidRewrite}, {Rule: scenarios.ForbidWriteBlockingScan},
				{Rule: scenarios.ForbidAccessExclusiveOver, Limit: scenarios.Duration(3 * time.Second)}}}}

	v := Judge(sc, res)
	if v.Pass {
		t.Fatal("passed")
	}
	for name, wantPass := range map[string]bool{
		"migration": true, "compatibility": false, "max_lock_wait": false, "p99_regression[old]": false,
		"max_error_rate[old]": true, "max_duration": false, "forbid rewrite": false,
		"forbid scan_under_write_lock": false, "forbid access_exclusive_over": true,
	} {
		if c := checkNamed(t, v, name); c.Pass != wantPass {
			t.Errorf("%s: pass=%v, want %v (%+v)", name, c.Pass, wantPass, c)
		}
	}
	if c := checkNamed(t, v, "compatibility"); !strings.Contains(c.Observed, "old query q after widen") || strings.Contains(c.Observed, "new query n") {
		t.Errorf("compatibility observed %q: must name the running workload's break only", c.Observed)
	}
	if c := checkNamed(t, v, "p99_regression[old]"); !strings.HasPrefix(c.Observed, "2.50x") {
		t.Errorf("p99 observed %q", c.Observed)
	}
	// Under the floor, the same ratio passes: 5ms is not worth a failure.
	sc.Thresholds.P99Floor = dur(10 * time.Millisecond)
	if c := checkNamed(t, Judge(sc, res), "p99_regression[old]"); !c.Pass || c.Limit != "2.00x above 10ms" {
		t.Errorf("with a 10ms floor: %+v", c)
	}
	if len(v.Reasons) != 6 {
		t.Errorf("%d reasons, want one per failed check: %v", len(v.Reasons), v.Reasons)
	}
}

func TestJudgeChecksOnlyWhatIsSet(t *testing.T) {
	t.Parallel()
	sc := &scenarios.Scenario{Migration: scenarios.Migration{Steps: []*scenarios.Step{{Name: "s"}}}}
	v := Judge(sc, &result.Result{Steps: []result.Step{{Name: "s"}}, LockWaits: result.LockWaits{MaxMS: 1e6}})
	if !v.Pass || len(v.Checks) != 2 {
		t.Fatalf("verdict %+v: want a pass with only the migration and compatibility checks", v)
	}
}

func TestJudgeFailsAFailedOrMissingStep(t *testing.T) {
	t.Parallel()
	sc := &scenarios.Scenario{Migration: scenarios.Migration{Steps: []*scenarios.Step{{Name: "a"}, {Name: "b"}}}}
	for _, steps := range [][]result.Step{
		{{Name: "a", Error: "boom", SQLState: "42P01"}},
		{{Name: "a"}},
	} {
		if v := Judge(sc, &result.Result{Steps: steps}); v.Pass {
			t.Errorf("steps %+v passed", steps)
		}
	}
}
