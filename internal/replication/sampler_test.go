package replication_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/internal/replication"
	"github.com/rehearse/rehearse/provider"
)

// inst is a local primary with a streaming standby, shared by the tests
// (pgtest's shared cluster has no standby).
var inst *provider.Instance

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	var err error
	inst, err = provider.NewLocal().Start(ctx, provider.Config{Replica: true})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "start PostgreSQL with a standby:", err)
		os.Exit(2)
	}
	code := m.Run()
	inst.Stop(context.Background())
	os.Exit(code)
}

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func exec(t *testing.T, conn *pgx.Conn, sql string) {
	t.Helper()
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// waitFor polls cond until it holds, failing the test after a generous timeout.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

const mib = 1 << 20

// With replay paused on the standby, a few MB written on the primary show
// as WAL of the phase that wrote them and as lag that grows in bytes and
// in time; once replay resumes, the lag returns to 0.
func TestSamplerSeesLagGrowAndRecover(t *testing.T) {
	ctx := context.Background()
	primary, standby := connect(t, inst.DSN), connect(t, inst.ReplicaDSN)
	s, err := replication.Start(ctx, inst.DSN, replication.WithInterval(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	s.Mark(ctx, "baseline")
	waitFor(t, "the standby has caught up before the test writes", func() bool { return s.LagBytes() == 0 })

	exec(t, standby, "SELECT pg_wal_replay_pause()")
	s.Mark(ctx, "write")
	exec(t, primary, "DROP TABLE IF EXISTS big")
	exec(t, primary, "CREATE TABLE big AS SELECT g, repeat('x', 200) AS pad FROM generate_series(1, 40000) g")
	waitFor(t, "the sampler sees the paused standby 5 MB and 300 ms behind", func() bool {
		return s.LagBytes() >= 5*mib && s.Lag() >= 300*time.Millisecond
	})
	s.Mark(ctx, "catch-up")
	exec(t, standby, "SELECT pg_wal_replay_resume()")
	waitFor(t, "the lag returns to 0", func() bool { return s.LagBytes() == 0 && s.Lag() == 0 })
	rep := s.Stop(ctx)

	if rep.Error != "" {
		t.Errorf("sampler error: %s", rep.Error)
	}
	if rep.Standbys != 1 {
		t.Errorf("standbys = %d, want 1", rep.Standbys)
	}
	if w := rep.WALBytesByPhase["write"]; w < 5*mib || w < 10*rep.WALBytesByPhase["baseline"] {
		t.Errorf("WAL by phase %v: want the write phase's 5+ MB, far more than the baseline's", rep.WALBytesByPhase)
	}
	var byPhase, bySecond int64
	for _, b := range rep.WALBytesByPhase {
		byPhase += b
	}
	for _, pt := range rep.Timeline {
		bySecond += pt.WALBytes
	}
	if byPhase != rep.WALBytes || bySecond != rep.WALBytes {
		t.Errorf("WAL %d bytes in all, %d over the phases, %d over the timeline: they must agree", rep.WALBytes, byPhase, bySecond)
	}
	// PostgreSQL's replay_lag, measured once replay resumes, may be the
	// larger figure: the maximum is then seen in catch-up.
	if ph := rep.MaxReplayLagPhase; rep.MaxLagBytes < 5*mib || rep.MaxReplayLagMS < 300 || (ph != "write" && ph != "catch-up") {
		t.Errorf("max lag %d bytes, %.0f ms in phase %q; want 5+ MB and 300+ ms in write or catch-up", rep.MaxLagBytes, rep.MaxReplayLagMS, ph)
	}
	if last := rep.Timeline[len(rep.Timeline)-1]; last.LagBytes != 0 {
		t.Errorf("last second of the timeline %+v: want the lag back at 0", last)
	}
	if again := s.Stop(ctx); again.WALBytes != rep.WALBytes || again.Samples != rep.Samples {
		t.Errorf("a second Stop gave %+v, want the first's figures", again)
	}
}

// The sampler reads the primary's WAL position: pointed at a standby, it
// refuses to start rather than measure nothing.
func TestSamplerRefusesAStandby(t *testing.T) {
	ctx := context.Background()
	s, err := replication.Start(ctx, inst.ReplicaDSN)
	if err == nil {
		s.Stop(ctx)
		t.Fatal("the sampler started on a standby, where pg_current_wal_lsn() cannot be read")
	}
}
