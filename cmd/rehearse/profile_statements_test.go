package main

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/internal/pgtest"
	"github.com/rehearse/rehearse/scenarios"
)

// TestProfileStatements profiles a database through DATABASE_URL while a
// client runs a statement with a constant in its text, and scans the file
// for the constant and the password.
func TestProfileStatements(t *testing.T) {
	dsn := pgtest.NewDBWith(t, map[string]string{"shared_preload_libraries": "pg_stat_statements"})
	pgtest.Exec(t, dsn, `CREATE EXTENSION pg_stat_statements;
		CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);
		INSERT INTO users SELECT g, 'u' || g || '@example.com' FROM generate_series(1, 50) g; ANALYZE users;`)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	password, _ := u.User.Password()
	if password == "" {
		t.Fatal("the test cluster's DSN has no password to look for")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	app := pgtest.Connect(t, dsn)
	go func() { // the application, until the profile is written
		defer close(done)
		for ctx.Err() == nil {
			_, _ = app.Exec(ctx, "SELECT email FROM users WHERE email = 'very-secret@corp.test'", pgx.QueryExecModeSimpleProtocol)
		}
	}()
	t.Setenv("DATABASE_URL", dsn)
	out := filepath.Join(t.TempDir(), "prod.json")
	code, _, errOut := run(t, "profile", "--statements", "--window", "300ms", "-o", out)
	cancel()
	<-done
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"very-secret", "corp.test", password} {
		if strings.Contains(string(raw), secret) || strings.Contains(errOut, secret) {
			t.Errorf("%q in the profile or the log:\n%s\n%s", secret, raw, errOut)
		}
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	prof, err := scenarios.ReadProfile(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(prof.Statements) != 1 || prof.Statements[0].Query != "SELECT email FROM users WHERE email = $1" || !(prof.Statements[0].CallsPerS > 0) {
		t.Fatalf("statements %+v, want the application's one", prof.Statements)
	}
	var generic map[string]any
	if err := json.Unmarshal(raw, &generic); err != nil {
		t.Fatal(err)
	}
	st := generic["statements"].([]any)[0].(map[string]any)
	for _, k := range []string{"query", "calls_per_s", "mean_ms", "stddev_ms", "rows_per_call"} {
		if _, ok := st[k]; !ok {
			t.Errorf("statement lacks %q: %v", k, st)
		}
	}
}

func TestProfileStatementsNoExtension(t *testing.T) {
	dsn := pgtest.NewDB(t)
	code, _, errOut := run(t, "profile", "--dsn", dsn, "--statements", "--window", "1ms")
	if code != exitCannotRun || !strings.Contains(errOut, "CREATE EXTENSION pg_stat_statements") || !strings.Contains(errOut, "shared_preload_libraries") {
		t.Errorf("exit %d, %q", code, errOut)
	}
}
