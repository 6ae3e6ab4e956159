package rehearse_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rehearse/rehearse/rehearse"
	"github.com/rehearse/rehearse/result"
)

func findCheck(t *testing.T, res *result.Result, name string) result.Check {
	t.Helper()
	for _, c := range res.Verdict.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no check %q in %+v", name, res.Verdict.Checks)
	return result.Check{}
}

func findPhase(t *testing.T, res *result.Result, name string) result.Phase {
	t.Helper()
	for _, p := range res.Phases {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no phase %q in %+v", name, res.Phases)
	return result.Phase{}
}

// The lock queue, at reduced size: the report starts as the step begins
// (StartBackground returns once it holds its lock) and runs 3 s, so the ALTER
// queues behind it and old-code reads queue behind the ALTER, however slow
// the machine.
func TestLockQueueExampleStallsTrafficBehindTheWaitingAlter(t *testing.T) {
	sc := loadExample(t, "lock-queue.yaml", 20_000)
	report := sc.Background[0]
	report.StartAt, report.At = "add_column", 0
	report.SQL = "SELECT count(*) AS users, pg_sleep(3) FROM users"
	p := &trackingLocal{}
	res, err := rehearse.Run(context.Background(), sc, rehearse.WithProvider(p))
	if err != nil {
		t.Fatal(err)
	}
	p.assertNothingLeft(t)
	if res.Status != result.StatusCompleted || res.Verdict.Pass {
		t.Fatalf("status %s, verdict %+v: want a completed run that fails", res.Status, res.Verdict)
	}
	if s := findStep(t, res, "add_column"); s.Error != "" {
		t.Fatalf("add_column failed: %s", s.Error)
	}
	if len(res.Background) != 1 || len(res.Background[0].Runs) != 1 {
		t.Fatalf("background %+v, want the report's one run", res.Background)
	}
	run := res.Background[0].Runs[0]
	step := findPhase(t, res, "add_column")
	// The ALTER cannot finish before the report releases its lock.
	if run.Error != "" || run.Cancelled || run.QueryMS < 3000 || run.Phase != "add_column" || run.EndMS > step.EndMS+1 {
		t.Errorf("report run %+v, step phase %+v: want the step to end after the report", run, step)
	}
	behindReport := 0
	for _, e := range res.LockWaits.Events {
		if e.Workload == "old" && e.Relation == "users" && e.Phase == "add_column" &&
			e.BlockedByApp == "rehearse/background/nightly_report" && strings.Contains(e.BlockedBy, "pg_sleep") {
			behindReport++
		}
	}
	if behindReport == 0 {
		t.Errorf("no old-code wait on users traced to the report: %+v", res.LockWaits.Events)
	}
	for _, name := range []string{"max_lock_wait", "max_pool_wait"} {
		if c := findCheck(t, res, name); c.Pass {
			t.Errorf("%s passed: %+v", name, c)
		}
	}
	old := findWorkload(t, res, "old")
	if old.PoolWait == nil || old.PoolWait.ByPhase["add_column"].MaxMS <= old.PoolWait.ByPhase["baseline"].MaxMS {
		t.Errorf("pool wait %+v: the stall must show in the step's phase", old.PoolWait)
	}
}

// SELECT * through the statement cache: each connection that cached the
// statement fails exactly once with 0A000 after the column is added.
func TestSelectStarCacheExampleFailsOncePerConnection(t *testing.T) {
	sc := loadExample(t, "select-star-cache.yaml", 20_000)
	p := &trackingLocal{}
	res, err := rehearse.Run(context.Background(), sc, rehearse.WithProvider(p))
	if err != nil {
		t.Fatal(err)
	}
	p.assertNothingLeft(t)
	old := findWorkload(t, res, "old")
	q := old.Queries[0]
	stale, conns := q.ErrorsBySQLState["0A000"], q.ConnectionsBySQLState["0A000"]
	t.Logf("0A000: %d errors on %d of %d connections", stale, conns, old.Pool)
	if stale == 0 || stale != conns || conns > int64(old.Pool) || q.Errors != stale || old.ConnectionsBySQLState["0A000"] != conns {
		t.Errorf("old get_user: errors %v on connections %v (workload %v), pool %d: want 0A000 once per connection",
			q.ErrorsBySQLState, q.ConnectionsBySQLState, old.ConnectionsBySQLState, old.Pool)
	}
	if old.Protocol != "cached" || old.Pool != 8 {
		t.Errorf("protocol %q pool %d", old.Protocol, old.Pool)
	}
	if c := findCheck(t, res, "max_error_rate[old]"); c.Pass || res.Verdict.Pass {
		t.Errorf("verdict %+v: want max_error_rate[old] to fail", res.Verdict)
	}
	if c := findCheck(t, res, "max_error_rate[new]"); !c.Pass {
		t.Errorf("new code failed: %+v", c)
	}
}

func TestSelectStarCacheFixedExamplePasses(t *testing.T) {
	sc := loadExample(t, "select-star-cache-fixed.yaml", 20_000)
	p := &trackingLocal{}
	res, err := rehearse.Run(context.Background(), sc, rehearse.WithProvider(p))
	if err != nil {
		t.Fatal(err)
	}
	p.assertNothingLeft(t)
	for _, w := range res.Workloads {
		for _, q := range w.Queries {
			if q.Count == 0 || q.Errors != 0 {
				t.Errorf("%s %s: %d runs, errors %v", w.Name, q.Name, q.Count, q.ErrorsBySQLState)
			}
		}
	}
	if !res.Verdict.Pass {
		t.Errorf("verdict %+v, want PASS", res.Verdict)
	}
}
