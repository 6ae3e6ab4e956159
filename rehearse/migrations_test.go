package rehearse_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rehearse/rehearse/internal/pgtest"
	"github.com/rehearse/rehearse/provider"
	"github.com/rehearse/rehearse/rehearse"
	"github.com/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
)

// rehearseOnTestDB runs sc on a fresh database of the package's cluster
// (the dsn provider): the migration-directory tests check what ran, not
// server settings, and need no server of their own.
func rehearseOnTestDB(t *testing.T, sc *scenarios.Scenario) *result.Result {
	t.Helper()
	p := provider.DSN{URL: pgtest.NewDB(t), Disposable: true}
	res, err := rehearse.Run(context.Background(), sc, rehearse.WithProvider(p))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != result.StatusCompleted {
		t.Fatalf("status %s: %s", res.Status, res.Error)
	}
	return res
}

// assertStepsRan checks that every step of sc ran, in order, without error.
func assertStepsRan(t *testing.T, sc *scenarios.Scenario, res *result.Result) {
	t.Helper()
	if len(res.Steps) != len(sc.Migration.Steps) {
		t.Fatalf("%d steps ran, want %d (%v)", len(res.Steps), len(sc.Migration.Steps), stepNames(res))
	}
	for i, s := range res.Steps {
		if s.Name != sc.Migration.Steps[i].Name {
			t.Errorf("step %d is %q, want %q", i, s.Name, sc.Migration.Steps[i].Name)
		}
		if s.Error != "" {
			t.Errorf("step %s failed: %s (SQLSTATE %s) in %q", s.Name, s.Error, s.SQLState, s.Statement)
		}
	}
}

func stepNames(res *result.Result) []string {
	var names []string
	for _, s := range res.Steps {
		names = append(names, s.Name)
	}
	return names
}

// findLint returns the finding of rule on step, failing the test without one.
func findLint(t *testing.T, res *result.Result, rule, step string) result.LintFinding {
	t.Helper()
	for _, f := range res.Lint {
		if f.Rule == rule && f.Step == step {
			return f
		}
	}
	t.Fatalf("no lint finding %s on step %s in the result (findings: %+v)", rule, step, res.Lint)
	return result.LintFinding{}
}

// Each format's fixture directory is rehearsed end to end: the baseline
// applied from the directory (NO TRANSACTION files included), then every
// later file as a step, run as its tool would run it.
func TestMigrationDirectoryFixturesRehearse(t *testing.T) {
	for _, format := range []string{"golang-migrate", "goose", "flyway", "dbmate", "sql"} {
		t.Run(format, func(t *testing.T) {
			sc, err := scenarios.Load(filepath.Join("..", "scenarios", "migrations", "testdata", format+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			sc.Phases.Baseline = scenarios.Duration(300 * time.Millisecond)
			sc.Phases.Cooldown = scenarios.Duration(300 * time.Millisecond)
			res := rehearseOnTestDB(t, sc)
			assertStepsRan(t, sc, res)
			for _, w := range res.Workloads {
				for _, q := range w.Queries {
					if q.Errors > 0 {
						t.Errorf("%s query %s: %d errors (%v)", w.Name, q.Name, q.Errors, q.FirstError)
					}
				}
			}
		})
	}
}

// The golang-migrate example's last file adds a NOT NULL column with a
// volatile default: the rehearsal must show the rewrite under ACCESS
// EXCLUSIVE beside the lint finding that predicted it.
func TestGolangMigrateExampleShowsTheRewriteAndTheFinding(t *testing.T) {
	sc := loadExample(t, "golang-migrate.yaml", 20_000)
	res := rehearseOnTestDB(t, sc)
	assertStepsRan(t, sc, res)
	if got := stepNames(res); strings.Join(got, ",") != "000004_index_users_email,000005_add_users_api_token" {
		t.Fatalf("steps %v, want the two files after version 3", got)
	}
	token := findStep(t, res, "000005_add_users_api_token")
	if got := strongestLock(token, "users"); got != "AccessExclusiveLock" {
		t.Errorf("000005's lock on users = %q, want AccessExclusiveLock", got)
	}
	if strings.Join(token.Rewrote, ",") != "users" {
		t.Errorf("000005 rewrote %v, want [users]: a volatile default fills every row", token.Rewrote)
	}
	f := findLint(t, res, "add-column-volatile-default", "000005_add_users_api_token")
	if f.Lock != "AccessExclusiveLock" || f.Relation != "users" || f.Line != 4 ||
		!strings.HasSuffix(f.File, "000005_add_users_api_token.up.sql") {
		t.Errorf("finding %+v: want users, AccessExclusiveLock, line 4 of 000005_add_users_api_token.up.sql", f)
	}
	if !strings.Contains(f.Statement, "gen_random_uuid()") || len(token.Statements) == 0 || token.Statements[0].SQL != f.Statement {
		t.Errorf("finding statement %q does not match the traced statement %+v", f.Statement, token.Statements)
	}
}

// The goose example's last file adds a column, updates every row and sets
// NOT NULL in goose's one transaction: the lock is held for all of it.
func TestGooseExampleShowsTheLockAndTheFinding(t *testing.T) {
	sc := loadExample(t, "goose.yaml", 20_000)
	res := rehearseOnTestDB(t, sc)
	assertStepsRan(t, sc, res)
	if got := stepNames(res); strings.Join(got, ",") != "20240212090000_index_accounts_email,20240305160000_require_invoice_currency" {
		t.Fatalf("steps %v, want the two files after 20240130143000", got)
	}
	if sc.Migration.Steps[0].InTransaction() {
		t.Error("the NO TRANSACTION file must run outside a transaction")
	}
	currency := findStep(t, res, "20240305160000_require_invoice_currency")
	if got := strongestLock(currency, "invoices"); got != "AccessExclusiveLock" {
		t.Errorf("the currency step's lock on invoices = %q, want AccessExclusiveLock", got)
	}
	if len(currency.Statements) != 4 {
		t.Fatalf("traced %d statements, want the file's 4 in one transaction", len(currency.Statements))
	}
	f := findLint(t, res, "set-not-null", "20240305160000_require_invoice_currency")
	if f.Relation != "invoices" || f.Line != 8 || f.Statement != currency.Statements[3].SQL {
		t.Errorf("finding %+v: want invoices, line 8, the traced statement %q", f, currency.Statements[3].SQL)
	}
	findLint(t, res, "strong-lock-held", "20240305160000_require_invoice_currency")
}

// A baseline file runs in a transaction when its tool runs it in one, so a
// statement that needs a transaction block (LOCK TABLE) applies as it did in
// production instead of failing with 25P01.
func TestBaselineFilesRunInTheirToolsTransaction(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"db/00001_create.sql": "-- +goose Up\nCREATE TABLE accounts (id bigserial PRIMARY KEY, email text NOT NULL);\n",
		"db/00002_lock.sql":   "-- +goose Up\nLOCK TABLE accounts IN ACCESS EXCLUSIVE MODE;\nALTER TABLE accounts ADD COLUMN plan text;\n",
		"db/00003_index.sql":  "-- +goose Up\nCREATE INDEX accounts_plan ON accounts (plan);\n",
		"s.yaml": `name: lock in the baseline
schema: {migrations: {dir: db, to: 2}}
migration: {migrations: {dir: db}}
traffic:
  old:
    rate: 10
    queries:
      - {name: get_account, sql: "SELECT id, plan FROM accounts WHERE id = $1", args: [{value: 1}]}
`,
	}
	for name, text := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sc, err := scenarios.Load(filepath.Join(dir, "s.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sc.Phases.Baseline = scenarios.Duration(300 * time.Millisecond)
	sc.Phases.Cooldown = scenarios.Duration(300 * time.Millisecond)
	res := rehearseOnTestDB(t, sc)
	assertStepsRan(t, sc, res)
}
