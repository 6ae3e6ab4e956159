package lockmon_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rehearse/rehearse/internal/dbconn"
	"github.com/rehearse/rehearse/internal/lockmon"
	"github.com/rehearse/rehearse/internal/pgtest"
)

// Between the statements of a step the migration session runs its own trace
// queries while holding the locks of the statement before: a wait seen then
// is blocked by that statement, which the trace query's comment names.
func TestBlockerBetweenStatementsIsTheStatementThatLocked(t *testing.T) {
	dsn := pgtest.NewDB(t)
	pgtest.Exec(t, dsn, "CREATE TABLE t (id int primary key); INSERT INTO t VALUES (1)")
	ctx := context.Background()
	mon, err := lockmon.Start(ctx, dsn, lockmon.WithClassifier(classify), lockmon.WithPhase(func() string { return "step1" }))
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
	const locking = "LOCK TABLE t IN ACCESS EXCLUSIVE MODE"
	if _, err := tx.Exec(ctx, locking); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, dbconn.TraceComment(locking)+"SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid()"); err != nil {
		t.Fatal(err)
	}
	readDone := make(chan error)
	go func() {
		var id int
		readDone <- reader.QueryRow(ctx, "SELECT id FROM t WHERE id = 1").Scan(&id)
	}()
	waitUntilWaiting(t, observer, "rehearse/old")
	if err := mon.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-readDone; err != nil {
		t.Fatal(err)
	}
	rep := mon.Stop(ctx)
	if rep.Err != nil {
		t.Fatal(rep.Err)
	}
	ev := findEvent(t, rep.Waits.Events, "old")
	if ev.BlockedBy != locking {
		t.Errorf("blocked_by = %q, want the statement that took the lock, %q", ev.BlockedBy, locking)
	}
	if strings.Contains(ev.Chain[len(ev.Chain)-1].Query, "rehearse:after") {
		t.Errorf("the chain names the trace query: %+v", ev.Chain)
	}
}
