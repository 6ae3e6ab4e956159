package migrate_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rehearse/rehearse/internal/migrate"
	"github.com/rehearse/rehearse/internal/pgsql"
	"github.com/rehearse/rehearse/internal/pgtest"
	"github.com/rehearse/rehearse/result"
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

func lockOn(s result.Step, relation string) string { return lockOf(s.Locks, relation) }

// lockLevel is one DDL statement with the lock mode on users, the rewrite and
// the write-blocking scan that the PostgreSQL 15 documentation ("ALTER TABLE",
// "CREATE INDEX", "Explicit Locking") gives for it.
type lockLevel struct {
	sql         string
	lock        string
	rewrite     bool
	blockedScan bool // a full scan of users under a lock that blocks writes
}

var documentedLockLevels = []lockLevel{
	{"ALTER TABLE users ADD COLUMN c text", "AccessExclusiveLock", false, false},
	{"ALTER TABLE users ADD COLUMN c int DEFAULT 0", "AccessExclusiveLock", false, false},
	{"ALTER TABLE users ADD COLUMN c timestamptz DEFAULT clock_timestamp()", "AccessExclusiveLock", true, true},
	{"ALTER TABLE users ADD COLUMN c int GENERATED ALWAYS AS (n * 2) STORED", "AccessExclusiveLock", true, true},
	{"ALTER TABLE users ALTER COLUMN n TYPE bigint", "AccessExclusiveLock", true, true},
	{"ALTER TABLE users ALTER COLUMN v TYPE varchar(200)", "AccessExclusiveLock", false, false},
	{"ALTER TABLE users ALTER COLUMN v TYPE text", "AccessExclusiveLock", false, false},
	{"ALTER TABLE users ALTER COLUMN v SET NOT NULL", "AccessExclusiveLock", false, true},
	{"ALTER TABLE users ALTER COLUMN n DROP NOT NULL", "AccessExclusiveLock", false, false},
	{"ALTER TABLE users ALTER COLUMN n SET DEFAULT 5", "AccessExclusiveLock", false, false},
	{"ALTER TABLE users ALTER COLUMN n SET STATISTICS 500", "ShareUpdateExclusiveLock", false, false},
	{"ALTER TABLE users SET (fillfactor = 70)", "ShareUpdateExclusiveLock", false, false},
	{"ALTER TABLE users ADD CONSTRAINT n_pos CHECK (n > 0)", "AccessExclusiveLock", false, true},
	{"ALTER TABLE users ADD CONSTRAINT n_pos CHECK (n > 0) NOT VALID", "AccessExclusiveLock", false, false},
	{"ALTER TABLE users VALIDATE CONSTRAINT n_nonneg", "ShareUpdateExclusiveLock", false, false},
	{"ALTER TABLE users ADD CONSTRAINT users_pid_fk FOREIGN KEY (pid) REFERENCES parent (id)", "ShareRowExclusiveLock", false, true},
	{"ALTER TABLE users ADD CONSTRAINT users_pid_fk FOREIGN KEY (pid) REFERENCES parent (id) NOT VALID", "ShareRowExclusiveLock", false, false},
	{"ALTER TABLE users ADD CONSTRAINT users_v_key UNIQUE (v)", "AccessExclusiveLock", false, true},
	{"CREATE INDEX users_n ON users (n)", "ShareLock", false, true},
	{"DROP INDEX users_v_idx", "AccessExclusiveLock", false, false},
	{"ALTER TABLE users RENAME COLUMN v TO w", "AccessExclusiveLock", false, false},
	{"ALTER TABLE users RENAME TO customers", "AccessExclusiveLock", false, false},
	{"ALTER TABLE users DROP COLUMN v", "AccessExclusiveLock", false, false},
	{"CREATE TRIGGER t BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION noop()", "ShareRowExclusiveLock", false, false},
	{"COMMENT ON TABLE users IS 'people'", "ShareUpdateExclusiveLock", false, false},
	{"TRUNCATE users", "AccessExclusiveLock", true, false},
	{"CLUSTER users USING users_pkey", "AccessExclusiveLock", true, true},
	{"ALTER TABLE users SET UNLOGGED", "AccessExclusiveLock", true, true},
}

// TestDocumentedLockLevels measures each statement's strongest lock on the
// table, whether it rewrote it and whether it scanned it while writes were
// blocked, and compares them with what the documentation says.
func TestDocumentedLockLevels(t *testing.T) {
	for _, tc := range documentedLockLevels {
		t.Run(tc.sql, func(t *testing.T) {
			dsn, r := setup(t)
			pgtest.Exec(t, dsn, `ALTER TABLE users ADD COLUMN v varchar(100), ADD COLUMN pid int;
				UPDATE users SET v = 'v' || id, pid = 1;
				CREATE INDEX users_v_idx ON users (v);
				ALTER TABLE users ADD CONSTRAINT n_nonneg CHECK (n >= 0) NOT VALID;
				CREATE TABLE parent (id int PRIMARY KEY); INSERT INTO parent VALUES (1);
				CREATE FUNCTION noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$`)
			pgtest.Exec(t, dsn, "VACUUM ANALYZE users")
			out := r.Run(context.Background(), &scenarios.Step{Name: "s", SQL: tc.sql})
			if out.Error != "" {
				t.Fatal(out.Error)
			}
			table := "users"
			if strings.Contains(tc.sql, "RENAME TO customers") {
				table = "customers"
			}
			if got := lockOn(out, table); got != tc.lock {
				t.Errorf("lock = %q, want %q (all: %+v)", got, tc.lock, out.Locks)
			}
			if rewrote := strings.Join(out.Rewrote, ",") == table; rewrote != tc.rewrite {
				t.Errorf("rewrote %v, want rewrite=%v", out.Rewrote, tc.rewrite)
			}
			if got := blockedScanOf(out, table); got != tc.blockedScan {
				t.Errorf("write-blocking scan = %v, want %v (scans: %+v)", got, tc.blockedScan, out.Scans)
			}
			if len(out.Statements) != 1 || out.Statements[0].SQL != tc.sql {
				t.Errorf("statements = %+v, want one trace of the statement", out.Statements)
			}
		})
	}
}

func blockedScanOf(s result.Step, relation string) bool {
	for _, sc := range s.Scans {
		if sc.Relation == relation && sc.BlocksWrites && sc.Rows > 0 {
			return true
		}
	}
	return false
}

func TestStatementTraceAttributesEachLock(t *testing.T) {
	_, r := setup(t)
	out := r.Run(context.Background(), &scenarios.Step{Name: "s",
		SQL: "SELECT sum(n) FROM users; ALTER TABLE users ADD COLUMN c int; UPDATE users SET c = 1 WHERE id = 1"})
	if out.Error != "" {
		t.Fatal(out.Error)
	}
	if len(out.Statements) != 3 {
		t.Fatalf("%d statement traces, want 3", len(out.Statements))
	}
	first, second, third := out.Statements[0], out.Statements[1], out.Statements[2]
	if lockOf(first.Locks, "users") != "AccessShareLock" || lockOf(second.Locks, "users") != "AccessExclusiveLock" || lockOf(third.Locks, "users") != "" {
		t.Errorf("locks per statement: %+v / %+v / %+v", first.Locks, second.Locks, third.Locks)
	}
	if len(first.Scans) != 1 || first.Scans[0].Rows != 10000 || first.Scans[0].BlocksWrites {
		t.Errorf("the SELECT's scan = %+v, want 10000 rows under a lock that does not block writes", first.Scans)
	}
	// The ADD COLUMN's lock was held from its start to the commit, which
	// includes the UPDATE after it.
	if held := heldMS(out.Locks, "users"); held < third.DurationMS {
		t.Errorf("AccessExclusiveLock held %.2fms, less than the statement after it (%.2fms)", held, third.DurationMS)
	}
}

func lockOf(locks []result.StepLock, relation string) string {
	for _, l := range locks {
		if l.Relation == relation {
			return l.Mode
		}
	}
	return ""
}

func heldMS(locks []result.StepLock, relation string) float64 {
	for _, l := range locks {
		if l.Relation == relation {
			return l.HeldMS
		}
	}
	return -1
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

// A step's lock_timeout applies to that step only: SET LOCAL inside its
// transaction, SET and RESET around it outside one. What the runner's own
// session shows at the next step, after the step failed and then succeeded
// (a plain SET in a transaction would leak only on commit), is the proof; a
// new connection would show the default whatever the runner did.
func TestLockTimeoutFailsTheStepWith55P03(t *testing.T) {
	for _, inTx := range []bool{true, false} {
		t.Run(fmt.Sprintf("transaction=%v", inTx), func(t *testing.T) {
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
			add := &scenarios.Step{Name: "add", SQL: "ALTER TABLE users ADD COLUMN c int",
				LockTimeout: scenarios.Duration(50 * time.Millisecond), Transaction: &inTx}
			out := r.Run(ctx, add)
			if out.SQLState != "55P03" || !strings.Contains(out.Statement, "ADD COLUMN c") {
				t.Fatalf("step = %+v, want SQLSTATE 55P03 on the ALTER", out)
			}
			tx.Rollback(ctx)
			if out := r.Run(ctx, add); out.Error != "" {
				t.Fatalf("add once the lock is released: %s", out.Error)
			}
			next := r.Run(ctx, &scenarios.Step{Name: "next", Transaction: &inTx,
				SQL: "CREATE TABLE seen AS SELECT current_setting('lock_timeout') AS lock_timeout"})
			if next.Error != "" {
				t.Fatalf("next step: %s", next.Error)
			}
			var setting string
			if err := holder.QueryRow(ctx, "SELECT lock_timeout FROM seen").Scan(&setting); err != nil {
				t.Fatal(err)
			}
			if setting != "0" {
				t.Errorf("the runner's session has lock_timeout = %s at the next step, want the default 0", setting)
			}
		})
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
	line, col := pgsql.LineCol(script, se.Offset)
	if line != 3 || col != 20 {
		t.Errorf("located at %d:%d, want 3:20 (the type name)", line, col)
	}
	var exists bool
	conn.QueryRow(context.Background(), "SELECT to_regclass('a') IS NOT NULL").Scan(&exists)
	if !exists {
		t.Error("the statement before the failing one did not run")
	}
}

// A table the step creates is invisible to other sessions until COMMIT, so
// its scans and rewrites block no one; a table that existed does, and each
// pass over it (an index build reads it again) is counted.
func TestScansOfTheStepsOwnTablesBlockNoOne(t *testing.T) {
	_, r := setup(t)
	out := r.Run(context.Background(), &scenarios.Step{Name: "s", SQL: `
		CREATE MATERIALIZED VIEW totals AS SELECT id, n FROM users;
		CREATE INDEX totals_n ON totals (n);
		CREATE TABLE archive AS SELECT id, n FROM users;
		ALTER TABLE archive ALTER COLUMN n TYPE bigint;
		CREATE INDEX users_n ON users (n);
		CREATE INDEX users_n_id ON users (n, id)`})
	if out.Error != "" {
		t.Fatal(out.Error)
	}
	if len(out.Rewrote) != 0 {
		t.Errorf("rewrote %v: a table created in the step is not a rewrite anyone waits for", out.Rewrote)
	}
	var users int64
	for _, sc := range out.Scans {
		switch sc.Relation {
		case "totals", "archive":
			if sc.BlocksWrites {
				t.Errorf("the step's own table counted as a write-blocking scan: %+v", sc)
			}
		case "users":
			if sc.BlocksWrites {
				users += sc.Passes
			}
		}
	}
	if users != 2 {
		t.Errorf("%d passes over users, want one per index build (2): %+v", users, out.Scans)
	}
}
