package loadgen

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brianvoe/gofakeit/v7"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rehearse/rehearse/internal/pgtest"
)

// gate is a Pacer that schedules one request per value sent on it, due at
// once; closing it ends the schedule. It lets a test decide exactly how many
// requests exist at each moment. Close it before Stop.
type gate chan struct{}

func (g gate) Due(uint64) (time.Duration, bool) {
	_, ok := <-g
	return 0, ok
}

func (g gate) release(n int) {
	for range n {
		g <- struct{}{}
	}
}

var _ Pacer = gate(nil)

// sqlStateOf is the SQLSTATE of err, "" without one.
func sqlStateOf(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

// columns runs sql on conn and returns how many columns its rows have.
func columns(ctx context.Context, conn *pgx.Conn, sql string, args ...any) (int, error) {
	rows, err := conn.Query(ctx, sql, args...)
	if err != nil {
		return 0, err
	}
	n := len(rows.FieldDescriptions())
	rows.Close()
	return n, rows.Err()
}

// The behaviour ProtocolCached and ProtocolPrepared document, pinned on pgx
// itself: a result-type change fails a cached statement once (pgx then
// forgets it and prepares again), and an explicitly prepared one for good.
func TestPgxAfterAResultTypeChange(t *testing.T) {
	dsn := newTable(t)
	ctx := context.Background()
	conn, ddl := pgtest.Connect(t, dsn), pgtest.Connect(t, dsn)
	const sql = "SELECT * FROM t WHERE id = $1"
	if _, err := conn.Prepare(ctx, "explicit", sql); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{sql, "explicit"} {
		if n, err := columns(ctx, conn, stmt, 1); err != nil || n != 2 {
			t.Fatalf("%s before the change: %d columns, %v", stmt, n, err)
		}
	}
	if _, err := ddl.Exec(ctx, "ALTER TABLE t ADD COLUMN extra int"); err != nil {
		t.Fatal(err)
	}

	_, err := columns(ctx, conn, sql, 1)
	if code := sqlStateOf(err); code != "0A000" {
		t.Fatalf("cached statement after ADD COLUMN: %v (SQLSTATE %q), want 0A000", err, code)
	}
	if n, err := columns(ctx, conn, sql, 1); err != nil || n != 3 {
		t.Errorf("cached statement on the next execution: %d columns, %v; want pgx to re-prepare: 3 columns, no error", n, err)
	}
	for i := range 2 {
		if _, err := columns(ctx, conn, "explicit", 1); sqlStateOf(err) != "0A000" {
			t.Errorf("explicit prepared statement, execution %d after the change: %v, want 0A000 every time", i+1, err)
		}
	}
	if _, err := conn.Prepare(ctx, "explicit", sql); err != nil {
		t.Fatal(err)
	}
	if _, err := columns(ctx, conn, "explicit", 1); sqlStateOf(err) != "0A000" {
		t.Errorf("preparing the same name and SQL again is a no-op in pgx, so it must still fail: %v", err)
	}
}

// Each protocol, through the generator: both connections of the pool run
// the query, a column is added, then each connection runs it twice more. The
// lock held around each round makes every connection take exactly one request.
func TestProtocolsAfterAResultTypeChange(t *testing.T) {
	for _, tt := range []struct {
		proto        Protocol
		errsPerRound [2]int64 // 0A000 errors in the two rounds after the change
	}{
		{ProtocolCached, [2]int64{2, 0}},
		{ProtocolPrepared, [2]int64{2, 2}},
		{ProtocolSimple, [2]int64{0, 0}},
	} {
		t.Run(string(tt.proto), func(t *testing.T) {
			dsn := newTable(t)
			ctx := context.Background()
			observer := pgtest.Connect(t, dsn)
			app := "rehearse/proto-" + string(tt.proto)
			g := make(gate)
			r := start(t, dsn, Workload{Name: "old", AppName: app, Rate: 1, Connections: 2, Protocol: tt.proto, Queries: []Query{
				{Name: "get", SQL: "SELECT * FROM t WHERE id = $1", Weight: 1, Args: []ArgFunc{idArg}},
			}}, WithPacer(g))
			closed := false
			defer func() {
				if !closed {
					close(g)
				}
			}()
			completed := int64(0)
			round := func(what string) int64 {
				t.Helper()
				errsBefore := r.Stats().Errors
				release := lockTable(t, dsn)
				g.release(2)
				eventually(t, what+": both connections to wait on the lock", func() bool { return sessions(t, observer, app, true) == 2 })
				release()
				completed += 2
				eventually(t, what+": both requests to complete", func() bool { return r.Stats().Completed == completed })
				return r.Stats().Errors - errsBefore
			}
			if errs := round("before the change"); errs != 0 {
				t.Fatalf("%d errors before the change", errs)
			}
			if _, err := observer.Exec(ctx, "ALTER TABLE t ADD COLUMN extra int"); err != nil {
				t.Fatal(err)
			}
			for i, want := range tt.errsPerRound {
				if got := round(fmt.Sprintf("round %d after the change", i+1)); got != want {
					t.Errorf("round %d after the change: %d errors, want %d", i+1, got, want)
				}
			}
			close(g)
			closed = true
			waitDone(t, r)
			w := stop(t, r, 10*time.Second)

			q := query(t, w, "get")
			total := tt.errsPerRound[0] + tt.errsPerRound[1]
			if q.ErrorsBySQLState["0A000"] != total || q.Errors != total {
				t.Errorf("errors %d by SQLSTATE %v, want %d of 0A000 (first error %q)", q.Errors, q.ErrorsBySQLState, total, q.FirstError)
			}
			wantConns := map[bool]int64{true: 2, false: 0}[total > 0]
			if q.ConnectionsBySQLState["0A000"] != wantConns || w.ConnectionsBySQLState["0A000"] != wantConns {
				t.Errorf("connections by SQLSTATE: query %v, workload %v, want 0A000 on %d", q.ConnectionsBySQLState, w.ConnectionsBySQLState, wantConns)
			}
			if w.Protocol != string(tt.proto) || w.Pool != 2 || w.PoolWait == nil || w.PoolWait.Count != 6 {
				t.Errorf("protocol %q pool %d pool wait %+v", w.Protocol, w.Pool, w.PoolWait)
			}
		})
	}
}

// A transaction's statements share the request's arguments and are recorded
// one by one, under every protocol.
func TestTransactionsUnderEachProtocol(t *testing.T) {
	for _, proto := range []Protocol{ProtocolCached, ProtocolPrepared, ProtocolSimple} {
		t.Run(string(proto), func(t *testing.T) {
			dsn := newTable(t)
			ctx := context.Background()
			observer := pgtest.Connect(t, dsn)
			id := func(*gofakeit.Faker) any { return 7 }
			val := func(*gofakeit.Faker) any { return "paid" }
			g := make(gate)
			r := start(t, dsn, Workload{Name: "old", AppName: "rehearse/tx", Rate: 1, Connections: 1, Protocol: proto, Queries: []Query{
				{Name: "pay", Weight: 1, Args: []ArgFunc{id, val}, Statements: []Statement{
					{Name: "lock", SQL: "SELECT v FROM t WHERE id = $1 FOR UPDATE", Args: []int{0}},
					{Name: "write", SQL: "UPDATE t SET v = $1 WHERE id = $2", Args: []int{1, 0}},
				}},
			}}, WithPacer(g))
			defer close(g)
			g.release(1)
			eventually(t, "the transaction", func() bool { return r.Stats().Completed == 1 })
			var v string
			if err := observer.QueryRow(ctx, "SELECT v FROM t WHERE id = 7").Scan(&v); err != nil || v != "paid" {
				t.Errorf("after the transaction v = %q (%v), want paid: the statements share the request's arguments", v, err)
			}
			w := r.Snapshot()
			pay := query(t, w, "pay")
			if pay.Count != 1 || pay.Errors != 0 || len(pay.Statements) != 2 {
				t.Fatalf("pay = %+v", pay)
			}
			for _, st := range pay.Statements {
				if st.Count != 1 || st.Errors != 0 || st.MaxMS <= 0 || st.MaxMS > pay.MaxMS {
					t.Errorf("statement %+v of a transaction that took %v ms", st, pay.MaxMS)
				}
			}
		})
	}
}

func TestFailingStatementRollsBackItsTransaction(t *testing.T) {
	dsn := newTable(t)
	ctx := context.Background()
	observer := pgtest.Connect(t, dsn)
	id := func(*gofakeit.Faker) any { return 9 }
	g := make(gate)
	r := start(t, dsn, Workload{Name: "old", Rate: 1, Connections: 1, Queries: []Query{
		{Name: "broken", Weight: 1, Args: []ArgFunc{id}, Statements: []Statement{
			{Name: "write", SQL: "UPDATE t SET v = 'broken' WHERE id = $1", Args: []int{0}},
			{Name: "bad", SQL: "SELECT nosuch FROM t WHERE id = $1", Args: []int{0}},
			{Name: "never", SQL: "SELECT 1"},
		}},
	}}, WithPacer(g))
	g.release(2)
	eventually(t, "both transactions", func() bool { return r.Stats().Completed == 2 })
	close(g)
	w := stop(t, r, 10*time.Second)
	var v string
	if err := observer.QueryRow(ctx, "SELECT v FROM t WHERE id = 9").Scan(&v); err != nil || v != "row 9" {
		t.Errorf("v = %q (%v), want the failed transaction rolled back", v, err)
	}
	q := query(t, w, "broken")
	if q.Errors != 2 || q.ErrorsBySQLState["42703"] != 2 || q.ConnectionsBySQLState["42703"] != 1 {
		t.Errorf("query %+v", q)
	}
	write, bad, never := q.Statements[0], q.Statements[1], q.Statements[2]
	if write.Count != 2 || write.Errors != 0 || bad.Count != 2 || bad.ErrorsBySQLState["42703"] != 2 || never.Count != 0 {
		t.Errorf("statements %+v", q.Statements)
	}
	if r.Stats().Reconnects != 0 {
		t.Errorf("a failed statement cost the connection: %+v", r.Stats())
	}
}

// During its think time a transaction is idle in transaction with its row
// lock held; Stop cuts the pause short, rolls back and counts the request as
// cancelled.
func TestThinkTimeHoldsLocksUntilStop(t *testing.T) {
	dsn := newTable(t)
	ctx := context.Background()
	observer := pgtest.Connect(t, dsn)
	id := func(*gofakeit.Faker) any { return 3 }
	g := make(gate)
	r := start(t, dsn, Workload{Name: "old", AppName: "rehearse/thinker", Rate: 1, Connections: 1, Queries: []Query{
		{Name: "slow", Weight: 1, Args: []ArgFunc{id}, Think: time.Hour, Statements: []Statement{
			{Name: "write", SQL: "UPDATE t SET v = 'held' WHERE id = $1", Args: []int{0}},
		}},
	}}, WithPacer(g))
	g.release(1)
	// Idle in transaction is also the state between BEGIN and the UPDATE; a
	// transaction ID is assigned only once the UPDATE has written the row.
	eventually(t, "the transaction to sit idle in transaction after its write", func() bool {
		var n int
		err := observer.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE application_name = 'rehearse/thinker' AND state = 'idle in transaction'
			AND backend_xid IS NOT NULL`).Scan(&n)
		return err == nil && n == 1
	})
	tx, err := observer.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tx.Exec(ctx, "SELECT v FROM t WHERE id = 3 FOR UPDATE NOWAIT")
	if code := sqlStateOf(err); code != "55P03" {
		t.Errorf("locking the row during the think time: %v, want 55P03 (the transaction holds it)", err)
	}
	_ = tx.Rollback(ctx)
	close(g)
	stop(t, r, 2*time.Second)
	s := r.Stats()
	if s.Cancelled != 1 || s.Completed != 0 || s.Errors != 0 {
		t.Errorf("stats %+v, want the request cancelled", s)
	}
	var v string
	if err := observer.QueryRow(ctx, "SELECT v FROM t WHERE id = 3").Scan(&v); err != nil || v != "row 3" {
		t.Errorf("v = %q (%v), want the interrupted transaction rolled back", v, err)
	}
}

// Pool wait, from causality alone: with one connection stuck behind a lock,
// a request already due when the wait was seen cannot get the connection
// before the lock is released.
func TestPoolWaitUnderAHeldLock(t *testing.T) {
	dsn := newTable(t)
	observer := pgtest.Connect(t, dsn)
	release := lockTable(t, dsn)
	var phase atomic.Pointer[string]
	phase.Store(ptr("hold"))
	r := start(t, dsn, Workload{Name: "old", AppName: "rehearse/pooled", Rate: 200, Connections: 1, Queries: []Query{
		{Name: "get", SQL: "SELECT v FROM t WHERE id = $1", Weight: 1, Args: []ArgFunc{idArg}},
	}}, WithPhase(func() string { return *phase.Load() }))
	eventually(t, "the connection to wait on the lock", func() bool { return sessions(t, observer, "rehearse/pooled", true) == 1 })
	eventually(t, "a second request to be due", func() bool { return r.Stats().Scheduled >= 2 })
	queued := time.Now() // a request is due and can only wait: the one connection is stuck
	phase.Store(ptr("after"))
	released := time.Now() // the lock is released after this instant
	release()
	eventually(t, "traffic after the release", func() bool { return r.Snapshot().ByPhase["after"].Count >= 5 })
	w := stop(t, r, 10*time.Second)

	bound := float64(released.Sub(queued).Microseconds()) / 1000
	pw := w.PoolWait
	if pw == nil || pw.MaxMS < bound || pw.ByPhase["hold"].MaxMS < bound {
		t.Fatalf("pool wait %+v, want a max of at least %v ms", pw, bound)
	}
	if q := query(t, w, "get"); q.MaxMS < pw.ByPhase["hold"].MaxMS {
		t.Errorf("latency max %v ms < pool wait max %v ms: the wait must be part of the latency", q.MaxMS, pw.MaxMS)
	}
	if pw.Count != r.Stats().Completed || pw.ByPhase["hold"].Count+pw.ByPhase["after"].Count != pw.Count {
		t.Errorf("pool wait counts %+v, completed %d", pw, r.Stats().Completed)
	}
}
