package provider_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/provider"
)

// conformance is what every provider that starts its own server must do:
// start, accept connections, run with exactly the settings asked for (and
// fsync on, since nobody asked for it off), report a version, and leave
// nothing behind after Stop.
func conformance(t *testing.T, p provider.Provider) {
	ctx := context.Background()
	inst, err := p.Start(ctx, provider.Config{Settings: map[string]string{"work_mem": "7MB", "application_name": "conformance"}})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			inst.Stop(context.Background())
		}
	})

	conn, err := pgx.Connect(ctx, inst.DSN)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	var workMem, fsync, version string
	err = conn.QueryRow(ctx, "SELECT current_setting('work_mem'), current_setting('fsync'), current_setting('server_version')").
		Scan(&workMem, &fsync, &version)
	conn.Close(ctx)
	if err != nil {
		t.Fatalf("query settings: %v", err)
	}
	if workMem != "7MB" {
		t.Errorf("work_mem = %q, want 7MB (settings not applied)", workMem)
	}
	if fsync != "on" {
		t.Errorf("fsync = %q, want on: latencies measured without fsync lie", fsync)
	}
	if version == "" {
		t.Error("server_version is empty")
	}
	if got := inst.Settings["work_mem"]; got != "7MB" {
		t.Errorf("Instance.Settings[work_mem] = %q, want the 7MB passed to the server", got)
	}
	if inst.Leftovers == nil {
		t.Fatal("instance has no Leftovers check")
	}
	if left := inst.Leftovers(); len(left) == 0 {
		t.Fatal("Leftovers reports nothing while the server runs: the check cannot see the instance")
	}

	stopped = true
	if err := inst.Stop(ctx); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if left := inst.Leftovers(); len(left) > 0 {
		t.Fatalf("after Stop, still present: %v", left)
	}
	if _, err := pgx.Connect(ctx, inst.DSN); err == nil {
		t.Fatal("server still accepts connections after Stop")
	}
}

// TestConformance runs the conformance test for every provider this machine
// can run: local always, container where a Docker engine answers (always in CI).
func TestConformance(t *testing.T) {
	t.Run("local", func(t *testing.T) {
		conformance(t, provider.NewLocal())
	})
	t.Run("container", func(t *testing.T) {
		conformance(t, provider.NewContainer(provider.WithImage(containerImage(t))))
	})
}
