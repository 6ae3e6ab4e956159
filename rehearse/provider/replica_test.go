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

	"github.com/rehearse/rehearse/rehearse/provider"
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
	if app != provider.StandbyApp || state != "streaming" {
		t.Errorf("pg_stat_replication: application_name %q, state %q; want %q streaming", app, state, provider.StandbyApp)
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

// TestReplicaConformance runs the standby conformance test for every
// provider that can start one: local. The container provider cannot yet.
func TestReplicaConformance(t *testing.T) {
	t.Run("local", func(t *testing.T) { replicaConformance(t, provider.NewLocal()) })
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

func TestContainerRefusesReplica(t *testing.T) {
	_, err := provider.NewContainer().Start(context.Background(), provider.Config{Replica: true})
	if !errors.Is(err, provider.ErrNoContainerReplica) {
		t.Fatalf("err = %v, want ErrNoContainerReplica", err)
	}
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
