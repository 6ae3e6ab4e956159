package provider_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/rehearse/provider"
)

// conformance is what every provider that starts its own server must do:
// start, accept connections, apply settings, report a version, and leave
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
	var workMem, version string
	if err := conn.QueryRow(ctx, "SELECT current_setting('work_mem'), current_setting('server_version')").Scan(&workMem, &version); err != nil {
		t.Fatalf("query settings: %v", err)
	}
	conn.Close(ctx)
	if workMem != "7MB" {
		t.Errorf("work_mem = %q, want 7MB (settings not applied)", workMem)
	}
	if version == "" {
		t.Error("server_version is empty")
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

func TestLocalConformance(t *testing.T) {
	conformance(t, provider.NewLocal())
}
