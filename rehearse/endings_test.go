package rehearse_test

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/rehearse"
	"github.com/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
)

const tinyScenario = `
name: tiny
schema:
  sql: CREATE TABLE t (id int PRIMARY KEY, v text);
data:
  tables:
    t: {rows: 1000, columns: {id: {gen: sequential}, v: {gen: word}}}
traffic:
  old: {rate: 50, connections: 2, queries: [{name: get, sql: "SELECT v FROM t WHERE id = $1", args: [{ref: t.id}]}]}
`

func parse(t *testing.T, yaml string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Parse([]byte(yaml), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func TestRollbackRestoresWhatOldCodeNeeds(t *testing.T) {
	sc := parse(t, tinyScenario+`
migration:
  steps:
    - {name: rename, sql: "ALTER TABLE t RENAME COLUMN v TO w"}
    - {name: broken, sql: "ALTER TABLE nosuch ADD COLUMN x int"}
  rollback:
    - {name: undo_rename, sql: "ALTER TABLE t RENAME COLUMN w TO v"}
phases: {baseline: 300ms, cooldown: 300ms}
`)
	p := &trackingLocal{}
	res, err := rehearse.Run(context.Background(), sc, rehearse.WithProvider(p))
	if err != nil {
		t.Fatal(err)
	}
	p.assertNothingLeft(t)
	if len(res.Steps) != 2 || res.Steps[1].SQLState != "42P01" {
		t.Fatalf("steps = %+v, want rename then broken failing with 42P01", res.Steps)
	}
	if len(res.Rollback) != 1 || res.Rollback[0].Error != "" {
		t.Fatalf("rollback = %+v, want undo_rename to succeed", res.Rollback)
	}
	state := map[string]bool{}
	for _, c := range res.Compatibility {
		if c.Workload == "old" {
			state[c.AfterStep] = c.OK
		}
	}
	if !state["baseline"] || state["rename"] || !state[result.AfterRollback] {
		t.Errorf("old code prepares: %v, want true before, false after rename, true after rollback", state)
	}
	if res.Verdict.Pass || !checkPassed(t, res, "rollback") {
		t.Errorf("verdict %+v: want FAIL (a step failed) with a passing rollback check", res.Verdict)
	}
}

func checkPassed(t *testing.T, res *result.Result, name string) bool {
	t.Helper()
	for _, c := range res.Verdict.Checks {
		if c.Name == name {
			return c.Pass
		}
	}
	t.Fatalf("no check %s in %+v", name, res.Verdict.Checks)
	return false
}

// killPostmaster reads the postmaster's pid from its pid file and kills it
// with SIGKILL, as a crash or the OOM killer would.
func killPostmaster(dsn string) error {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var pidFile string
	if err := conn.QueryRow(ctx, "SELECT pg_read_file('postmaster.pid')").Scan(&pidFile); err != nil {
		return err
	}
	pid, err := strconv.Atoi(strings.SplitN(pidFile, "\n", 2)[0])
	if err != nil {
		return err
	}
	return syscall.Kill(pid, syscall.SIGKILL)
}

func TestServerDeathAbortsTheRehearsal(t *testing.T) {
	sc := parse(t, tinyScenario+`
migration:
  steps: [{name: s, sql: "SELECT 1"}]
phases: {baseline: 1h, cooldown: 1s}
`)
	before := runtime.NumGoroutine()
	p := &trackingLocal{}
	killed := make(chan error, 1)
	progress := &onLine{substr: "baseline:", do: func() {
		p.mu.Lock()
		dsn := p.instances[0].DSN
		p.mu.Unlock()
		go func() { killed <- killPostmaster(dsn) }()
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := rehearse.Run(ctx, sc, rehearse.WithProvider(p), rehearse.WithProgress(progress, false))
	if kerr := <-killed; kerr != nil {
		t.Fatalf("kill the postmaster: %v", kerr)
	}
	p.assertNothingLeft(t)
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v: the death of the server went unnoticed", err)
	}
	if res == nil || res.Status != result.StatusAborted || res.AbortedIn != "baseline" || !strings.Contains(res.Error, "lost the server") {
		t.Fatalf("result = %+v, want aborted in baseline having lost the server", res)
	}
	assertNoGoroutineLeak(t, before)
}

func TestInterruptDuringDataLoad(t *testing.T) {
	sc := parse(t, tinyScenario+`
migration:
  steps: [{name: s, sql: "SELECT 1"}]
`)
	sc.Data.Tables["t"].Rows = 2_000_000
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := &trackingLocal{}
	res, err := rehearse.Run(ctx, sc, rehearse.WithProvider(p), rehearse.WithProgress(&onLine{substr: "t: ", do: cancel}, false))
	p.assertNothingLeft(t)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if res == nil || res.Status != result.StatusAborted || res.AbortedIn != "data" || res.Error != "interrupted" {
		t.Fatalf("result = %+v, want aborted in data", res)
	}
}

// assertNoGoroutineLeak polls until the goroutine count is back to where it
// was: goroutines exit asynchronously after Run returns.
func assertNoGoroutineLeak(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if now := runtime.NumGoroutine(); now > before {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines before, %d after:\n%s", before, now, buf[:runtime.Stack(buf, true)])
	}
}

// onLine calls do once, the first time a progress line contains substr.
type onLine struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	substr string
	do     func()
	done   bool
}

func (o *onLine) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(p)
	if !o.done && strings.Contains(o.buf.String(), o.substr) {
		o.done = true
		o.do()
	}
	return len(p), nil
}

func TestAbortOnGuardStopsTheMigrationAndRollsBack(t *testing.T) {
	sc := parse(t, tinyScenario+`
migration:
  steps:
    - {name: add, sql: "ALTER TABLE t ADD COLUMN w int"}
    - {name: stall, sql: "LOCK TABLE t IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60)"}
    - {name: never, sql: "SELECT 1"}
  rollback:
    - {name: drop_w, sql: "ALTER TABLE t DROP COLUMN w"}
  abort_on: {lock_wait: 300ms}
phases: {baseline: 300ms, cooldown: 300ms}
`)
	p := &trackingLocal{}
	res, err := rehearse.Run(context.Background(), sc, rehearse.WithProvider(p))
	if err != nil {
		t.Fatal(err)
	}
	p.assertNothingLeft(t)
	if res.Guard == nil || res.Guard.Step != "stall" || !strings.Contains(res.Guard.Reason, "waited") {
		t.Fatalf("guard = %+v, want the stall step stopped on lock_wait", res.Guard)
	}
	if len(res.Steps) != 2 || res.Steps[1].Error == "" {
		t.Errorf("steps = %+v, want add then the cancelled stall, and never skipped", res.Steps)
	}
	if len(res.Rollback) != 1 || res.Rollback[0].Error != "" {
		t.Errorf("rollback = %+v, want drop_w to run and succeed", res.Rollback)
	}
	if res.Verdict.Pass || checkPassed(t, res, "abort_on") {
		t.Error("a migration stopped by the guard passed")
	}
	// The step was cancelled long before its 60 s sleep ended.
	if res.Steps[1].DurationMS >= 60_000 {
		t.Errorf("stall ran %dms: the guard did not cancel it", res.Steps[1].DurationMS)
	}
}
