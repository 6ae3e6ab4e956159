package lockmon_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/internal/dbconn"
	"github.com/rehearse/rehearse/internal/lockmon"
	"github.com/rehearse/rehearse/internal/pglock"
	"github.com/rehearse/rehearse/internal/pgtest"
	"github.com/rehearse/rehearse/result"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func connectAs(t *testing.T, dsn, app string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["application_name"] = app
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// waitUntilWaiting polls until a session of app waits for a lock.
func waitUntilWaiting(t *testing.T, observer *pgx.Conn, app string) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		if err := observer.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'", app).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		time.Sleep(5 * time.Millisecond) // polling an observable condition
	}
	t.Fatalf("no session of %s started waiting", app)
}

func classify(app, query string) (string, string) {
	return strings.TrimPrefix(app, "rehearse/"), query
}

func TestMonitorMeasuresAKnownLock(t *testing.T) {
	dsn := pgtest.NewDB(t)
	pgtest.Exec(t, dsn, "CREATE TABLE t (id int primary key); INSERT INTO t VALUES (1)")
	ctx := context.Background()
	epoch := time.Now()
	mon, err := lockmon.Start(ctx, dsn, lockmon.WithEpoch(epoch), lockmon.WithClassifier(classify),
		lockmon.WithPhase(func() string { return "step1" }))
	if err != nil {
		t.Fatal(err)
	}
	holder := connectAs(t, dsn, "test/holder")
	observer := connectAs(t, dsn, "test/observer")
	reader := connectAs(t, dsn, "rehearse/old")
	tx, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE t IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	readDone := make(chan time.Duration)
	go func() {
		began := time.Now()
		var id int
		reader.QueryRow(ctx, "SELECT id FROM t WHERE id = 1").Scan(&id)
		readDone <- time.Since(began)
	}()
	waitUntilWaiting(t, observer, "rehearse/old")
	provenWaiting := time.Now()
	time.Sleep(300 * time.Millisecond) // the experiment: hold the lock a while
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	heldAtLeast := time.Since(provenWaiting)
	readTook := <-readDone
	rep := mon.Stop(ctx)
	if rep.Err != nil {
		t.Fatal(rep.Err)
	}

	ev := findEvent(t, rep.Waits.Events, "old")
	if ev.Relation != "t" || ev.Mode != "AccessShareLock" {
		t.Errorf("event relation/mode = %s/%s, want t/AccessShareLock", ev.Relation, ev.Mode)
	}
	if ev.BlockedByMode != "AccessExclusiveLock" || ev.Depth != 1 || len(ev.Chain) != 2 {
		t.Errorf("blocked_by_mode=%q depth=%d chain=%+v, want AccessExclusiveLock, 1 and two links", ev.BlockedByMode, ev.Depth, ev.Chain)
	}
	if !strings.Contains(ev.BlockedBy, "LOCK TABLE t") || ev.BlockedByApp != "test/holder" {
		t.Errorf("blocked_by = %q (%s), want the LOCK TABLE of test/holder", ev.BlockedBy, ev.BlockedByApp)
	}
	if ev.Query != "SELECT id FROM t WHERE id = 1" || ev.Phase != "step1" {
		t.Errorf("query/phase = %q/%q", ev.Query, ev.Phase)
	}
	// Causal bounds: the wait covers the time the test proved it was waiting,
	// and cannot exceed the reader's whole call; the measurement is as
	// precise as the samples were frequent and quick, which on a loaded
	// machine is less than every 10ms.
	slack := ms(rep.Precision)
	if rep.Precision <= 0 || ev.WaitMS < ms(heldAtLeast)-slack || ev.WaitMS > ms(readTook)+slack {
		t.Errorf("wait %.1fms outside [%.1f, %.1f] ± %.1fms (the precision the monitor reports)", ev.WaitMS, ms(heldAtLeast), ms(readTook), slack)
	}
	t.Logf("wait %.1fms in [%.1f, %.1f] ± %.1fms", ev.WaitMS, ms(heldAtLeast), ms(readTook), slack)
	if rep.Waits.Count != 1 || rep.Waits.MaxMS != ev.WaitMS {
		t.Errorf("summary count=%d max=%.1f, want 1 and %.1f", rep.Waits.Count, rep.Waits.MaxMS, ev.WaitMS)
	}
	if rep.Waits.Monitor == nil || rep.Waits.Monitor.Samples == 0 {
		t.Error("no monitor stats")
	}
}

func TestMonitorAttributesChainToItsHead(t *testing.T) {
	dsn := pgtest.NewDB(t)
	pgtest.Exec(t, dsn, "CREATE TABLE t (id int primary key); INSERT INTO t VALUES (1)")
	ctx := context.Background()
	mon, err := lockmon.Start(ctx, dsn, lockmon.WithClassifier(classify), lockmon.WithPhase(func() string { return "expand" }))
	if err != nil {
		t.Fatal(err)
	}
	report := connectAs(t, dsn, "test/report")
	migration := connectAs(t, dsn, dbconn.Migration)
	reader := connectAs(t, dsn, "rehearse/old")
	observer := connectAs(t, dsn, "test/observer")

	tx, err := report.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SELECT count(*) FROM t /* long report */"); err != nil {
		t.Fatal(err)
	}
	alterDone := make(chan error)
	go func() {
		_, err := migration.Exec(ctx, "ALTER TABLE t ADD COLUMN c int")
		alterDone <- err
	}()
	waitUntilWaiting(t, observer, dbconn.Migration)
	readDone := make(chan error)
	go func() {
		_, err := reader.Exec(ctx, "SELECT id FROM t")
		readDone <- err
	}()
	waitUntilWaiting(t, observer, "rehearse/old")
	if err := mon.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-alterDone; err != nil {
		t.Fatal(err)
	}
	if err := <-readDone; err != nil {
		t.Fatal(err)
	}
	rep := mon.Stop(ctx)
	if rep.Err != nil {
		t.Fatal(rep.Err)
	}

	old := findEvent(t, rep.Waits.Events, "old")
	if !strings.Contains(old.BlockedBy, "long report") {
		t.Errorf("old query blocked_by = %q, want the report query at the head of the chain", old.BlockedBy)
	}
	if old.Depth != 2 || len(old.Chain) != 3 {
		t.Fatalf("old query chain depth %d: %+v, want traffic → waiting ALTER → report", old.Depth, old.Chain)
	}
	alter, head := old.Chain[1], old.Chain[2]
	if alter.Workload != "migration" || alter.Mode != "AccessExclusiveLock" || !alter.Waiting || alter.WaitedMS <= 0 {
		t.Errorf("middle link = %+v, want the waiting ALTER", alter)
	}
	if head.Workload != "test/report" || head.Mode != "AccessShareLock" || head.Waiting || old.BlockedByMode != "AccessShareLock" {
		t.Errorf("head = %+v (blocked_by_mode %q), want the report holding AccessShareLock", head, old.BlockedByMode)
	}
	// The ALTER queued before the read, so it had waited at least as long.
	if alter.WaitedMS < old.Chain[0].WaitedMS {
		t.Errorf("ALTER waited %.1fms, less than the read queued behind it (%.1fms)", alter.WaitedMS, old.Chain[0].WaitedMS)
	}
	mig := findEvent(t, rep.Waits.Events, "migration")
	if mig.Mode != "AccessExclusiveLock" || !strings.Contains(mig.BlockedBy, "long report") {
		t.Errorf("migration event = %+v", mig)
	}
	if rep.Waits.Count != 1 {
		t.Errorf("traffic wait count = %d, want 1 (the migration's own wait is not traffic)", rep.Waits.Count)
	}
}

func findEvent(t *testing.T, events []result.LockEvent, workload string) result.LockEvent {
	t.Helper()
	for _, e := range events {
		if e.Workload == workload {
			return e
		}
	}
	t.Fatalf("no lock wait event of workload %q in %+v", workload, events)
	return result.LockEvent{}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func TestStronger(t *testing.T) {
	t.Parallel()
	if !pglock.Stronger("AccessExclusiveLock", "ShareLock") || pglock.Stronger("AccessShareLock", "RowShareLock") {
		t.Fatal("lock mode order is wrong")
	}
	if !pglock.BlocksWrites("ShareLock") || pglock.BlocksWrites("ShareUpdateExclusiveLock") {
		t.Fatal("BlocksWrites is wrong")
	}
}

// A query that gives up on lock_timeout waited all that time: it must show
// as a lock wait of about the timeout, not vanish because it failed.
func TestLockTimeoutCountsAsAWaitOfItsFullLength(t *testing.T) {
	dsn := pgtest.NewDB(t)
	pgtest.Exec(t, dsn, "CREATE TABLE t (id int primary key)")
	ctx := context.Background()
	mon, err := lockmon.Start(ctx, dsn, lockmon.WithClassifier(classify))
	if err != nil {
		t.Fatal(err)
	}
	holder := connectAs(t, dsn, "test/holder")
	reader := connectAs(t, dsn, "rehearse/old")
	tx, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "LOCK TABLE t IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	if _, err := reader.Exec(ctx, "SET lock_timeout = '300ms'"); err != nil {
		t.Fatal(err)
	}
	_, err = reader.Exec(ctx, "SELECT * FROM t")
	if err == nil || !strings.Contains(err.Error(), "55P03") {
		t.Fatalf("err = %v, want a lock timeout", err)
	}
	rep := mon.Stop(ctx)
	ev := findEvent(t, rep.Waits.Events, "old")
	if slack := ms(rep.Precision); ev.WaitMS < 300-slack {
		t.Errorf("the timed-out query waited %.1fms, want about the 300ms lock_timeout (precision ± %.1fms)", ev.WaitMS, slack)
	}
}
