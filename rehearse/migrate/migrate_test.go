package migrate_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rehearse/rehearse/rehearse/migrate"
	"github.com/rehearse/rehearse/rehearse/provider/pgtest"
	"github.com/rehearse/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func setup(t *testing.T) (string, *migrate.Runner) {
	t.Helper()
	dsn := pgtest.NewDB(t)
	pgtest.Exec(t, dsn, `CREATE TABLE users (id bigint PRIMARY KEY, n int NOT NULL);
		INSERT INTO users SELECT g, g FROM generate_series(1, 10000) g`)
	r, err := migrate.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(context.Background()) })
	return dsn, r
}

func lockOn(s result.Step, relation string) string {
	for _, l := range s.Locks {
		if l.Relation == relation {
			return l.Mode
		}
	}
	return ""
}

func TestLocksAndRewritesOfTransactionalSteps(t *testing.T) {
	for _, tc := range []struct {
		sql     string
		lock    string
		rewrote string
	}{
		{"ALTER TABLE users ADD COLUMN c text", "AccessExclusiveLock", ""},
		{"ALTER TABLE users ALTER COLUMN n TYPE bigint", "AccessExclusiveLock", "users"},
		{"CREATE INDEX users_n ON users (n)", "ShareLock", ""},
		{"ALTER TABLE users ADD CONSTRAINT n_pos CHECK (n > 0) NOT VALID", "AccessExclusiveLock", ""},
		{"SELECT count(*) FROM users", "AccessShareLock", ""},
		{"UPDATE users SET n = n + 1 WHERE id < 10", "RowExclusiveLock", ""},
	} {
		t.Run(tc.sql, func(t *testing.T) {
			_, r := setup(t)
			out := r.Run(context.Background(), &scenarios.Step{Name: "s", SQL: tc.sql})
			if out.Error != "" {
				t.Fatal(out.Error)
			}
			if got := lockOn(out, "users"); got != tc.lock {
				t.Errorf("lock on users = %q, want %q (all: %+v)", got, tc.lock, out.Locks)
			}
			if got := strings.Join(out.Rewrote, ","); got != tc.rewrote {
				t.Errorf("rewrote %q, want %q", got, tc.rewrote)
			}
		})
	}
}

func TestStatementsOutsideATransaction(t *testing.T) {
	_, r := setup(t)
	f := false
	out := r.Run(context.Background(), &scenarios.Step{Name: "idx", Transaction: &f,
		SQL: "CREATE INDEX CONCURRENTLY users_n ON users (n); DROP INDEX CONCURRENTLY users_n"})
	if out.Error != "" {
		t.Fatalf("CREATE/DROP INDEX CONCURRENTLY failed: %s", out.Error)
	}
}

func TestBatchStepWalksTheKeyRange(t *testing.T) {
	dsn, r := setup(t)
	out := r.Run(context.Background(), &scenarios.Step{Name: "backfill", Batch: &scenarios.Batch{
		Table: "users", Key: "id", Size: 3000, SQL: "UPDATE users SET n = -n WHERE id >= $1 AND id < $2"}})
	if out.Error != "" {
		t.Fatal(out.Error)
	}
	if out.Batches != 4 || out.Rows != 10000 {
		t.Errorf("batches=%d rows=%d, want 4 and 10000", out.Batches, out.Rows)
	}
	var positive int
	if err := pgtest.Connect(t, dsn).QueryRow(context.Background(), "SELECT count(*) FROM users WHERE n > 0").Scan(&positive); err != nil {
		t.Fatal(err)
	}
	if positive != 0 {
		t.Errorf("%d rows were not updated", positive)
	}
}

func TestLockTimeoutFailsTheStepWith55P03(t *testing.T) {
	dsn, r := setup(t)
	ctx := context.Background()
	holder := pgtest.Connect(t, dsn)
	tx, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "LOCK TABLE users IN ACCESS SHARE MODE"); err != nil {
		t.Fatal(err)
	}
	out := r.Run(ctx, &scenarios.Step{Name: "add", SQL: "ALTER TABLE users ADD COLUMN c int",
		LockTimeout: scenarios.Duration(50 * time.Millisecond)})
	if out.SQLState != "55P03" || !strings.Contains(out.Statement, "ADD COLUMN c") {
		t.Fatalf("step = %+v, want SQLSTATE 55P03 on the ALTER", out)
	}
	// The timeout was SET LOCAL: the session is back to no lock_timeout.
	var setting string
	if err := pgtest.Connect(t, dsn).QueryRow(ctx, "SELECT setting FROM pg_settings WHERE name = 'lock_timeout'").Scan(&setting); err != nil {
		t.Fatal(err)
	}
	if setting != "0" {
		t.Errorf("lock_timeout = %s", setting)
	}
}

func TestExecScriptLocatesTheFailingStatement(t *testing.T) {
	dsn := pgtest.NewDB(t)
	conn := pgtest.Connect(t, dsn)
	script := "CREATE TABLE a (id int);\n-- comment\nCREATE TABLE b (id nosuchtype);"
	err := migrate.ExecScript(context.Background(), conn, script, nil)
	var se *migrate.StatementError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want a StatementError", err)
	}
	line, col := scenarios.LineCol(script, se.Offset)
	if line != 3 || col != 20 {
		t.Errorf("located at %d:%d, want 3:20 (the type name)", line, col)
	}
	var exists bool
	conn.QueryRow(context.Background(), "SELECT to_regclass('a') IS NOT NULL").Scan(&exists)
	if !exists {
		t.Error("the statement before the failing one did not run")
	}
}
