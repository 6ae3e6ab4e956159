package loadgen

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rehearse/rehearse/internal/dbconn"
	"github.com/rehearse/rehearse/internal/pgtest"
)

// bgPollTimeout bounds every wait for a condition.
const bgPollTimeout = 20 * time.Second

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(bgPollTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // polling interval, not synchronisation
	}
}

func bgTable(t *testing.T) string {
	t.Helper()
	dsn := pgtest.NewDB(t)
	pgtest.Exec(t, dsn, `CREATE TABLE t (id int PRIMARY KEY, v text NOT NULL);
		INSERT INTO t SELECT g, 'row ' || g FROM generate_series(1, 10) g`)
	return dsn
}

func startBG(t *testing.T, dsn string, spec SessionSpec, opts ...SessionOption) *Session {
	t.Helper()
	b, err := StartSession(context.Background(), dsn, spec, opts...)
	if err != nil {
		t.Fatalf("start background: %v", err)
	}
	t.Cleanup(func() { b.Stop(context.Background()) })
	return b
}

// connectAs opens a connection named app, closed when the test ends.
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

func codeOf(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

// activity returns the state and wait event type of the backends with
// application_name app ("" when there is none).
func activity(t *testing.T, conn *pgx.Conn, app string) (state, waitType string, n int) {
	t.Helper()
	err := conn.QueryRow(context.Background(), `SELECT coalesce(min(state), ''), coalesce(min(wait_event_type), ''), count(*)
		FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&state, &waitType, &n)
	if err != nil {
		t.Fatal(err)
	}
	return state, waitType, n
}

// A held transaction keeps its row lock for the whole hold: a writer that
// asks for the row after StartSession returns gets it no earlier than
// hold after StartSession was called.
func TestBackgroundHoldsItsLockForTheHold(t *testing.T) {
	dsn := bgTable(t)
	ctx := context.Background()
	other := pgtest.Connect(t, dsn)
	const hold = 500 * time.Millisecond
	began := time.Now()
	b := startBG(t, dsn, SessionSpec{Name: "forgotten", SQL: "SELECT v FROM t WHERE id = 1 FOR UPDATE", Hold: hold, Trigger: "start_at baseline"})

	tx, err := other.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SELECT v FROM t WHERE id = 1 FOR UPDATE NOWAIT"); codeOf(err) != "55P03" {
		t.Errorf("the row is free while the session holds it: %v", err)
	}
	_ = tx.Rollback(ctx)
	if _, err := other.Exec(ctx, "UPDATE t SET v = 'after' WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	if got := time.Since(began); got < hold {
		t.Errorf("the writer got the row after %v, before the %v hold ended", got, hold)
	}
	<-b.Done()
	rec := b.Stop(ctx)
	if rec.App != "rehearse/background/forgotten" || rec.Trigger != "start_at baseline" || len(rec.Runs) != 1 {
		t.Fatalf("record %+v", rec)
	}
	run := rec.Runs[0]
	if run.Error != "" || run.Cancelled || run.HeldMS < float64(hold.Milliseconds()) || run.QueryMS <= 0 ||
		run.EndMS-run.StartMS < hold.Milliseconds() {
		t.Errorf("run %+v for a %v hold", run, hold)
	}
}

// The lock queue: a long query's ACCESS SHARE makes an ALTER wait, and the
// waiting ALTER makes a plain read wait behind it. Stop cancels the query
// (a cancelled run, not an error) and the queue drains.
func TestBackgroundLongQueryQueuesDDLAndTraffic(t *testing.T) {
	dsn := bgTable(t)
	ctx := context.Background()
	observer, ddl, reader := pgtest.Connect(t, dsn), connectAs(t, dsn, "test/ddl"), connectAs(t, dsn, "test/reader")
	b := startBG(t, dsn, SessionSpec{Name: "report", SQL: "SELECT count(*), pg_sleep(3600) FROM t"})
	// StartSession returned: the report holds its lock on t.
	var held bool
	if err := observer.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_stat_activity a USING (pid)
		WHERE a.application_name = 'rehearse/background/report' AND l.relation = 't'::regclass AND l.granted)`).Scan(&held); err != nil || !held {
		t.Fatalf("the report holds no lock on t when StartSession returns (%v)", err)
	}
	alterDone, readDone := make(chan error, 1), make(chan error, 1)
	go func() {
		_, err := ddl.Exec(ctx, "ALTER TABLE t ADD COLUMN extra int")
		alterDone <- err
	}()
	waitFor(t, "the ALTER to queue", func() bool { _, w, _ := activity(t, observer, "test/ddl"); return w == "Lock" })
	go func() {
		_, err := reader.Exec(ctx, "SELECT v FROM t WHERE id = 1")
		readDone <- err
	}()
	waitFor(t, "the read to queue behind the ALTER", func() bool { _, w, _ := activity(t, observer, "test/reader"); return w == "Lock" })
	var blockedByDDL bool
	if err := observer.QueryRow(ctx, `SELECT (SELECT pid FROM pg_stat_activity WHERE application_name = 'test/ddl') = ANY (pg_blocking_pids(pid))
		FROM pg_stat_activity WHERE application_name = 'test/reader'`).Scan(&blockedByDDL); err != nil || !blockedByDDL {
		t.Errorf("the read is not blocked by the ALTER (%v)", err)
	}

	rec := b.Stop(ctx)
	if err := <-alterDone; err != nil {
		t.Errorf("ALTER after the report was cancelled: %v", err)
	}
	if err := <-readDone; err != nil {
		t.Errorf("read after the ALTER: %v", err)
	}
	if len(rec.Runs) != 1 || !rec.Runs[0].Cancelled || rec.Runs[0].Error != "" {
		t.Errorf("runs %+v, want one cancelled run", rec.Runs)
	}
	waitFor(t, "the report's session to end", func() bool { _, _, n := activity(t, observer, "rehearse/background/report"); return n == 0 })
}

// A REPEATABLE READ session keeps its snapshot (backend_xmin) while idle in
// its transaction; a READ COMMITTED one does not.
func TestBackgroundRepeatableReadHoldsASnapshot(t *testing.T) {
	dsn := bgTable(t)
	observer := pgtest.Connect(t, dsn)
	for _, tt := range []struct {
		iso      pgx.TxIsoLevel
		snapshot bool
	}{{pgx.RepeatableRead, true}, {pgx.ReadCommitted, false}} {
		b := startBG(t, dsn, SessionSpec{Name: "snap_" + string(tt.iso), SQL: "SELECT count(*) FROM t", Hold: time.Hour, Isolation: tt.iso})
		var state string
		var xmin bool
		err := observer.QueryRow(context.Background(), `SELECT state, backend_xmin IS NOT NULL FROM pg_stat_activity
			WHERE application_name = $1`, dbconn.Background("snap_"+string(tt.iso))).Scan(&state, &xmin)
		if err != nil || state != "idle in transaction" || xmin != tt.snapshot {
			t.Errorf("%s: state %q, snapshot held %v (%v); want idle in transaction, snapshot %v", tt.iso, state, xmin, err, tt.snapshot)
		}
		rec := b.Stop(context.Background())
		if len(rec.Runs) != 1 || !rec.Runs[0].Cancelled {
			t.Errorf("%s: runs %+v, want one run cut short by Stop", tt.iso, rec.Runs)
		}
	}
}

func TestBackgroundEveryRepeatsWithPhases(t *testing.T) {
	dsn := bgTable(t)
	epoch := time.Now()
	b := startBG(t, dsn, SessionSpec{Name: "poller", SQL: "SELECT count(*) FROM t", Every: 5 * time.Millisecond},
		WithSessionEpoch(epoch), WithSessionPhase(func() string { return "baseline" }))
	waitFor(t, "three runs", func() bool { return len(b.Record().Runs) >= 3 })
	rec := b.Stop(context.Background())
	prev := int64(-1)
	for i, run := range rec.Runs {
		if run.Phase != "baseline" || run.StartMS < prev || run.EndMS < run.StartMS || run.Error != "" {
			t.Errorf("run %d: %+v", i, run)
		}
		prev = run.StartMS
	}
}

func TestBackgroundFailureIsRecorded(t *testing.T) {
	dsn := bgTable(t)
	b := startBG(t, dsn, SessionSpec{Name: "broken", SQL: "SELECT nosuch FROM t"})
	<-b.Done()
	rec := b.Stop(context.Background())
	if len(rec.Runs) != 1 || rec.Runs[0].SQLState != "42703" || rec.Runs[0].Cancelled {
		t.Errorf("runs %+v, want one failed with 42703", rec.Runs)
	}
	if _, err := StartSession(context.Background(), dsn, SessionSpec{Name: "x", SQL: "SELECT 1", Isolation: "dirty"}); err == nil {
		t.Error("an unknown isolation level was accepted")
	}
}
