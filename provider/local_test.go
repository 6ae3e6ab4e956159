package provider_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/provider"
)

func TestLocalBadSettingFailsCleanly(t *testing.T) {
	_, err := provider.NewLocal().Start(context.Background(), provider.Config{Settings: map[string]string{"no_such_setting": "1"}})
	if err == nil {
		t.Fatal("start with an unknown setting succeeded")
	}
	if !strings.Contains(err.Error(), "no_such_setting") {
		t.Fatalf("error does not name the setting: %v", err)
	}
}

func TestLocalMissingVersion(t *testing.T) {
	_, err := provider.NewLocal().Start(context.Background(), provider.Config{Version: "3"})
	if err == nil || !strings.Contains(err.Error(), "PostgreSQL 3 is not installed") {
		t.Fatalf("err = %v, want a message that version 3 is not installed", err)
	}
}

func TestLocalNoBinaries(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := provider.NewLocal(provider.WithBinDir(t.TempDir())).Start(context.Background(), provider.Config{})
	if err == nil || !strings.Contains(err.Error(), "no initdb and postgres") {
		t.Fatalf("err = %v", err)
	}
}

func TestLocalStopOnCancelledContextStillCleansUp(t *testing.T) {
	inst, err := provider.NewLocal().Start(context.Background(), provider.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	inst.Stop(ctx) // may report the kill; what matters is what is left
	if left := inst.Leftovers(); len(left) > 0 {
		t.Fatalf("still present: %v", left)
	}
}

func TestDSNRefusesWithoutDisposable(t *testing.T) {
	_, err := provider.DSN{URL: "postgres://u:secret@127.0.0.1:1/db"}.Start(context.Background(), provider.Config{})
	if !errors.Is(err, provider.ErrNotDisposable) {
		t.Fatalf("err = %v, want ErrNotDisposable", err)
	}
}

func TestDSNConnectErrorHidesPassword(t *testing.T) {
	_, err := provider.DSN{URL: "postgres://u:secret@127.0.0.1:1/db?connect_timeout=2", Disposable: true}.Start(context.Background(), provider.Config{})
	if err == nil {
		t.Fatal("connect to port 1 succeeded")
	}
	if strings.Contains(err.Error(), "secret") {
		t.Fatalf("error shows the password: %v", err)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:pw@h:5432/db?sslmode=disable": "postgres://u:xxxxx@h:5432/db?sslmode=disable",
		"postgres://u@h/db":                         "postgres://u@h/db",
		"host=h user=u password=pw dbname=d":        "host=h user=u password=xxxxx dbname=d",
	} {
		if got := provider.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// The DSN provider is tried against a database of a local cluster.
func TestDSNRefusesADatabaseThatLooksLive(t *testing.T) {
	ctx := context.Background()
	inst, err := provider.NewLocal().Start(ctx, provider.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Stop(ctx)
	empty := provider.DSN{URL: inst.DSN, Disposable: true}
	if _, err := empty.Start(ctx, provider.Config{}); err != nil {
		t.Fatalf("an empty database with no other session was refused: %v", err)
	}

	conn, err := pgx.Connect(ctx, inst.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	_, err = empty.Start(ctx, provider.Config{})
	if err == nil || !strings.Contains(err.Error(), "other sessions are connected") || strings.Contains(err.Error(), inst.DSN) {
		t.Fatalf("err = %v, want a refusal because another session is connected", err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE customers (id int)"); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	// The closed session leaves pg_stat_activity a moment later.
	deadline := time.Now().Add(10 * time.Second)
	for _, err = empty.Start(ctx, provider.Config{}); err != nil && strings.Contains(err.Error(), "sessions") && time.Now().Before(deadline); _, err = empty.Start(ctx, provider.Config{}) {
		time.Sleep(10 * time.Millisecond)
	}
	if err == nil || !strings.Contains(err.Error(), "already has 1 tables") {
		t.Fatalf("err = %v, want a refusal because of the table", err)
	}
	forced := provider.DSN{URL: inst.DSN, Disposable: true, ForceNonEmpty: true}
	if _, err := forced.Start(ctx, provider.Config{}); err != nil {
		t.Fatalf("--force-nonempty did not allow it: %v", err)
	}
}
