package provider_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/moby/moby/client"

	"github.com/rehearse/rehearse/internal/dbconn"
	"github.com/rehearse/rehearse/internal/replication"
	"github.com/rehearse/rehearse/provider"
)

// replicaConformance is what every provider that starts a standby must do:
// the standby streams from the primary (pg_stat_replication says so),
// runs with the primary's settings, replays what the primary writes, and
// goes with it: Stop leaves nothing of either.
func replicaConformance(t *testing.T, p provider.Provider) {
	ctx := context.Background()
	inst, err := p.Start(ctx, provider.Config{Replica: true, Settings: map[string]string{"max_connections": "40"}})
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			inst.Stop(context.Background())
		}
	})
	if inst.ReplicaDSN == "" || inst.ReplicaDSN == inst.DSN {
		t.Fatalf("ReplicaDSN = %q, want the standby's own DSN", inst.ReplicaDSN)
	}
	primary, standby := connect(t, inst.DSN), connect(t, inst.ReplicaDSN)

	var app, state string
	if err := primary.QueryRow(ctx, "SELECT application_name, state FROM pg_stat_replication").Scan(&app, &state); err != nil {
		t.Fatalf("pg_stat_replication on the primary: %v", err)
	}
	if app != dbconn.Standby || state != "streaming" {
		t.Errorf("pg_stat_replication: application_name %q, state %q; want %q streaming", app, state, dbconn.Standby)
	}
	var inRecovery bool
	var maxConn string
	if err := standby.QueryRow(ctx, "SELECT pg_is_in_recovery(), current_setting('max_connections')").Scan(&inRecovery, &maxConn); err != nil {
		t.Fatal(err)
	}
	if !inRecovery || maxConn != "40" {
		t.Errorf("standby: in recovery %v, max_connections %s; want a hot standby with the primary's settings", inRecovery, maxConn)
	}

	if _, err := primary.Exec(ctx, "CREATE TABLE replicated AS SELECT generate_series(1, 1000) AS n"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		err := standby.QueryRow(ctx, "SELECT count(*) FROM replicated").Scan(&n)
		if err == nil && n == 1000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the standby did not replay the primary's table: %v (%d rows)", err, n)
		}
		time.Sleep(20 * time.Millisecond)
	}

	samplerSeesLag(t, primary, standby, inst.DSN)

	if left := inst.Leftovers(); len(left) < 2 {
		t.Errorf("Leftovers while running = %v; want the primary's and the standby's", left)
	}
	primary.Close(ctx)
	standby.Close(ctx)
	stopped = true
	if err := inst.Stop(ctx); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if left := inst.Leftovers(); len(left) > 0 {
		t.Fatalf("after Stop, still present: %v", left)
	}
	if _, err := pgx.Connect(ctx, inst.ReplicaDSN); err == nil {
		t.Fatal("the standby still accepts connections after Stop")
	}
}

// samplerSeesLag checks that the lag sampler, on the primary at dsn, sees
// what the primary writes while replay is paused on the standby as WAL of
// the phase that wrote it and as lag, and sees the lag return to 0 once
// replay resumes.
func samplerSeesLag(t *testing.T, primary, standby *pgx.Conn, dsn string) {
	t.Helper()
	ctx := context.Background()
	s, err := replication.Start(ctx, dsn, replication.WithInterval(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop(ctx)
	s.Mark(ctx, "baseline")
	mustExec(t, standby, "SELECT pg_wal_replay_pause()")
	s.Mark(ctx, "write")
	mustExec(t, primary, "CREATE TABLE lagging AS SELECT g, repeat('x', 200) AS pad FROM generate_series(1, 10000) g")
	const mib = 1 << 20
	waitUntil(t, "the sampler sees the paused standby 1 MB behind", func() bool { return s.LagBytes() >= mib })
	s.Mark(ctx, "catch-up")
	mustExec(t, standby, "SELECT pg_wal_replay_resume()")
	waitUntil(t, "the lag returns to 0", func() bool { return s.LagBytes() == 0 && s.Lag() == 0 })
	rep := s.Stop(ctx)
	if rep.Error != "" || rep.Standbys != 1 {
		t.Errorf("sampler: error %q, %d standbys; want none and 1", rep.Error, rep.Standbys)
	}
	if w := rep.WALBytesByPhase["write"]; w < mib || rep.MaxLagBytes < mib || rep.MaxReplayLagMS <= 0 {
		t.Errorf("WAL by phase %v, max lag %d bytes and %.0f ms: want the write phase's MB as WAL and as lag",
			rep.WALBytesByPhase, rep.MaxLagBytes, rep.MaxReplayLagMS)
	}
}

func mustExec(t *testing.T, conn *pgx.Conn, sql string) {
	t.Helper()
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// waitUntil polls cond until it holds, failing the test after a generous timeout.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestReplicaConformance runs the standby conformance test for every
// provider that can start one: local always, container where a Docker
// engine answers (always in CI).
func TestReplicaConformance(t *testing.T) {
	t.Run("local", func(t *testing.T) { replicaConformance(t, provider.NewLocal()) })
	t.Run("container", func(t *testing.T) {
		img := containerImage(t)
		replicaConformance(t, provider.NewContainer(provider.WithImage(img), provider.WithLabels(testLabel(t))))
		assertNoLabelledContainers(t, testLabel(t))
	})
}

func TestLocalReplicaKill(t *testing.T) {
	inst, err := provider.NewLocal().Start(context.Background(), provider.Config{Replica: true})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Stop(context.Background())
	inst.Kill()
	if left := inst.Leftovers(); len(left) > 0 {
		t.Fatalf("still present after Kill: %v", left)
	}
}

// A standby that cannot start (the primary has no WAL sender for it) fails
// Start and takes the primary with it: no directory, no server.
func TestLocalReplicaFailureLeavesNothing(t *testing.T) {
	var log strings.Builder
	_, err := provider.NewLocal().Start(context.Background(), provider.Config{Replica: true, Log: &log,
		Settings: map[string]string{"max_wal_senders": "0"}})
	if err == nil || !strings.Contains(err.Error(), "standby") {
		t.Fatalf("err = %v; want the standby's failure", err)
	}
	var dirs, ports int
	for _, line := range strings.Split(log.String(), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 2 && (f[0] == "initdb" || f[0] == "pg_basebackup"):
			dir := filepath.Dir(f[len(f)-1])
			if f[0] == "initdb" {
				dir = filepath.Dir(f[1])
			}
			dirs++
			if _, err := os.Stat(dir); err == nil {
				t.Errorf("%s left behind", dir)
			}
		case strings.HasPrefix(line, "postgres starting on "):
			ports++
			addr := strings.TrimPrefix(line, "postgres starting on ")
			if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
				c.Close()
				t.Errorf("a server still listens on %s", addr)
			}
		}
	}
	if dirs != 2 || ports != 1 {
		t.Fatalf("the log names %d directories and %d servers, want 2 and 1: %s", dirs, ports, log.String())
	}
}

func TestContainerReplicaKill(t *testing.T) {
	img := containerImage(t)
	p := provider.NewContainer(provider.WithImage(img), provider.WithLabels(testLabel(t)))
	inst, err := p.Start(context.Background(), provider.Config{Replica: true})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Stop(context.Background())
	inst.Kill()
	if left := inst.Leftovers(); len(left) > 0 {
		t.Fatalf("still present after Kill: %v", left)
	}
	assertNoLabelledContainers(t, testLabel(t))
}

// A standby whose base backup fails (the primary has no WAL sender for it)
// fails Start, saying why, and takes the primary and the network with it.
func TestContainerReplicaFailureLeavesNothing(t *testing.T) {
	img := containerImage(t)
	p := provider.NewContainer(provider.WithImage(img), provider.WithLabels(testLabel(t)))
	_, err := p.Start(context.Background(), provider.Config{Replica: true,
		Settings: map[string]string{"max_wal_senders": "0"}})
	if err == nil || !strings.Contains(err.Error(), "standby") || !strings.Contains(err.Error(), "pg_basebackup") {
		t.Fatalf("err = %v; want the standby's failure with pg_basebackup's complaint", err)
	}
	assertNoLabelledContainers(t, testLabel(t))
}

// Ctrl-C while the standby container initialises: Start fails and neither
// container nor the network is left.
func TestContainerReplicaInterruptedStartLeavesNothing(t *testing.T) {
	img := containerImage(t)
	engine, err := provider.DetectDocker(context.Background(), provider.DefaultDetectTimeout)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { // interrupt as soon as the standby runs
		filters := client.Filters{}.Add("label", labelFilter(testLabel(t))).
			Add("label", provider.RoleLabel+"=standby").Add("status", "running")
		for ctx.Err() == nil {
			res, err := engine.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: filters})
			if err == nil && len(res.Items) > 0 {
				cancel()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	p := provider.NewContainer(provider.WithImage(img), provider.WithLabels(testLabel(t)))
	inst, err := p.Start(ctx, provider.Config{Replica: true})
	if err == nil {
		inst.Stop(context.Background())
		t.Fatal("Start returned a server although it was interrupted while the standby started")
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled in the chain", err)
	}
	assertNoLabelledContainers(t, testLabel(t))
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
