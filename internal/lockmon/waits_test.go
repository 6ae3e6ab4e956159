package lockmon_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rehearse/rehearse/internal/lockmon"
	"github.com/rehearse/rehearse/internal/pgtest"
	"github.com/rehearse/rehearse/result"
)

// waitUntilEvent polls until a session of app is in the given wait event.
func waitUntilEvent(t *testing.T, dsn, app, event string) {
	t.Helper()
	observer := connectAs(t, dsn, "test/observer")
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		if err := observer.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND wait_event = $2", app, event).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		time.Sleep(5 * time.Millisecond) // polling an observable condition
	}
	t.Fatalf("no session of %s reached wait event %s", app, event)
}

// TestMonitorSamplesWaitEvents blocks one traffic session on a lock and
// keeps another in pg_sleep, and checks that the per-phase profile, the
// timeline and the raw samples name both wait events.
func TestMonitorSamplesWaitEvents(t *testing.T) {
	dsn := pgtest.NewDB(t)
	pgtest.Exec(t, dsn, "CREATE TABLE t (id int primary key); INSERT INTO t VALUES (1)")
	ctx := context.Background()
	phase := "step1"
	mon, err := lockmon.Start(ctx, dsn, lockmon.WithClassifier(classify), lockmon.WithPhase(func() string { return phase }))
	if err != nil {
		t.Fatal(err)
	}
	holder := connectAs(t, dsn, "test/holder")
	reader := connectAs(t, dsn, "rehearse/old")
	sleeper := connectAs(t, dsn, "rehearse/new")
	tx, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE t IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	readDone, sleepDone := make(chan error, 1), make(chan error, 1)
	go func() { _, err := reader.Exec(ctx, "SELECT id FROM t WHERE id = 1"); readDone <- err }()
	go func() { _, err := sleeper.Exec(ctx, "SELECT pg_sleep(30)"); sleepDone <- err }()
	waitUntilEvent(t, dsn, "rehearse/old", "relation")
	waitUntilEvent(t, dsn, "rehearse/new", "PgSleep")
	for range 3 { // three samples that saw both sessions waiting
		if err := mon.Sync(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-readDone; err != nil {
		t.Fatal(err)
	}
	pgtest.Exec(t, dsn, "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'rehearse/new'")
	<-sleepDone // cancelled: an error is expected
	rep := mon.Stop(ctx)
	if rep.Err != nil {
		t.Fatal(rep.Err)
	}

	profile := func(workload string) result.WaitProfile {
		for _, p := range rep.WaitEvents.ByPhase {
			if p.Phase == "step1" && p.Workload == workload {
				return p
			}
		}
		t.Fatalf("no step1 profile of %s in %+v", workload, rep.WaitEvents.ByPhase)
		return result.WaitProfile{}
	}
	for workload, event := range map[string]string{"old": "Lock:relation", "new": "Timeout:PgSleep"} {
		p := profile(workload)
		if p.Samples < 3 || len(p.Waits) == 0 || p.Waits[0].Event != event {
			t.Errorf("%s: profile %+v, want at least 3 samples and %s first", workload, p, event)
		}
	}
	if len(rep.WaitEvents.Timeline) == 0 {
		t.Error("no wait timeline")
	}
	seen := map[string]bool{}
	for _, s := range rep.Samples.Samples {
		for _, c := range s.Counts {
			seen[rep.Samples.Name(c.Workload)+" "+rep.Samples.Name(c.Event)] = true
		}
	}
	if !seen["old Lock:relation"] || !seen["new Timeout:PgSleep"] {
		t.Errorf("raw samples saw %v", seen)
	}
	if len(rep.Counters) != 1 || rep.Counters[0].Phase != "step1" {
		t.Errorf("server counters %+v, want one step1 entry", rep.Counters)
	}
}

func TestShares(t *testing.T) {
	shares, total := lockmon.Shares(map[string]int64{"CPU": 2, "Lock:relation": 6, "IO:DataFileRead": 2}, 2)
	if total != 10 || len(shares) != 2 || shares[0].Event != "Lock:relation" || shares[0].Share != 0.6 || shares[1].Event != "CPU" {
		t.Errorf("shares %+v total %d", shares, total)
	}
}

// TestMonitorCountsCheckpointsPerPhase runs a CHECKPOINT in the middle one of
// three phases and checks that the server counters put it there.
func TestMonitorCountsCheckpointsPerPhase(t *testing.T) {
	dsn := pgtest.NewDB(t)
	ctx := context.Background()
	var phase atomic.Value
	phase.Store("before")
	mon, err := lockmon.Start(ctx, dsn, lockmon.WithPhase(func() string { return phase.Load().(string) }))
	if err != nil {
		t.Fatal(err)
	}
	enter := func(name string) {
		phase.Store(name)
		if err := mon.Sync(ctx); err != nil {
			t.Fatal(err)
		}
	}
	enter("before")
	conn := connectAs(t, dsn, "test/checkpoint")
	var before int64
	if err := conn.QueryRow(ctx, "SELECT checkpoints_req FROM pg_stat_bgwriter").Scan(&before); err != nil {
		t.Fatal(err)
	}
	enter("checkpoint")
	if _, err := conn.Exec(ctx, "CHECKPOINT"); err != nil {
		t.Fatal(err)
	}
	// The checkpointer reports its statistics just after CHECKPOINT returns.
	deadline := time.Now().Add(30 * time.Second)
	for now := before; now == before && time.Now().Before(deadline); {
		if err := conn.QueryRow(ctx, "SELECT checkpoints_req FROM pg_stat_bgwriter").Scan(&now); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond) // polling an observable condition
	}
	enter("after")
	rep := mon.Stop(ctx)
	byPhase := map[string]result.ServerCounters{}
	for _, c := range rep.Counters {
		byPhase[c.Phase] = c
	}
	c, ok := byPhase["checkpoint"]
	if !ok || c.CheckpointsRequested == nil || *c.CheckpointsRequested < 1 {
		t.Fatalf("counters %+v: want a requested checkpoint in phase checkpoint", rep.Counters)
	}
	if b := byPhase["before"]; b.CheckpointsRequested == nil || *b.CheckpointsRequested != 0 {
		t.Errorf("phase before counted checkpoints: %+v", b)
	}
	if c.WALBytes == nil || *c.WALBytes <= 0 {
		t.Errorf("no WAL counted in phase checkpoint (a checkpoint writes a record): %+v", c)
	}
}
