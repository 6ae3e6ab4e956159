package lint

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rehearse/rehearse/scenarios"
)

// lintFile lints one SQL migration file and applies its suppressions.
func lintFile(t *testing.T, sql string) (kept []Finding, suppressed []Suppressed) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "0001_change.sql")
	if err := os.WriteFile(path, []byte(sql), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := scenarios.MigrationFileStep(path, "sql")
	if err != nil {
		t.Fatal(err)
	}
	steps := []*scenarios.Step{st}
	return Suppress(Steps(steps, WithSchema(testSchema)), steps, os.ReadFile)
}

func rulesOf(fs []Finding) map[string]int {
	out := map[string]int{}
	for _, f := range fs {
		out[f.Rule] = f.Line
	}
	return out
}

func TestSuppressionPlacement(t *testing.T) {
	for _, tc := range []struct {
		name           string
		sql            string
		kept           map[string]int // rule → line of the finding
		suppressedRule string
	}{
		{"above the statement", `SET lock_timeout = '2s';
-- rehearse:ignore index-not-concurrent -- users is empty in every environment
CREATE INDEX users_email ON users (email);
`, map[string]int{}, RuleIndexNotConcurrent},
		{"above, among other comments", `SET lock_timeout = '2s';
-- rehearse:ignore index-not-concurrent -- users is empty in every environment
-- (see ticket 42)
CREATE INDEX users_email ON users (email);
`, map[string]int{}, RuleIndexNotConcurrent},
		{"at the end of the first line", `SET lock_timeout = '2s';
CREATE INDEX users_email ON users (email); -- rehearse:ignore index-not-concurrent -- empty table
`, map[string]int{}, RuleIndexNotConcurrent},
		{"file-wide", `-- rehearse:ignore-file index-not-concurrent,missing-lock-timeout -- runs in the maintenance window
CREATE INDEX users_email ON users (email);
`, map[string]int{}, RuleIndexNotConcurrent},
		{"a blank line in between is misplaced", `SET lock_timeout = '2s';
-- rehearse:ignore index-not-concurrent -- empty table

CREATE INDEX users_email ON users (email);
`, map[string]int{RuleIndexNotConcurrent: 4, RuleMisplacedSuppression: 2}, ""},
		{"inside a statement is misplaced", `SET lock_timeout = '2s';
CREATE INDEX users_email
  -- rehearse:ignore index-not-concurrent -- empty table
  ON users (email);
`, map[string]int{RuleIndexNotConcurrent: 2, RuleMisplacedSuppression: 3}, ""},
		{"unused", `SET lock_timeout = '2s';
-- rehearse:ignore set-not-null -- checked by hand
CREATE INDEX CONCURRENTLY users_email ON users (email);
`, map[string]int{RuleUnusedSuppression: 2}, ""},
		{"other rule on the statement stays", `-- rehearse:ignore index-not-concurrent -- empty table
CREATE INDEX users_email ON users (email);
`, map[string]int{RuleMissingLockTimeout: 2}, RuleIndexNotConcurrent},
		{"no reason does not apply", `SET lock_timeout = '2s';
-- rehearse:ignore index-not-concurrent
CREATE INDEX users_email ON users (email);
`, map[string]int{RuleIndexNotConcurrent: 3, RuleInvalidSuppression: 2}, ""},
		{"unknown rule", `SET lock_timeout = '2s';
-- rehearse:ignore no-such-rule -- because
CREATE INDEX CONCURRENTLY users_email ON users (email);
`, map[string]int{RuleInvalidSuppression: 2}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kept, suppressed := lintFile(t, tc.sql)
			got := rulesOf(kept)
			if len(got) != len(tc.kept) {
				t.Errorf("kept %v, want %v", got, tc.kept)
			}
			for rule, line := range tc.kept {
				if got[rule] != line {
					t.Errorf("kept %s at line %d, want line %d (all: %v)", rule, got[rule], line, kept)
				}
			}
			if tc.suppressedRule == "" {
				if len(suppressed) != 0 {
					t.Errorf("suppressed %v, want none", suppressed)
				}
				return
			}
			if len(suppressed) == 0 || suppressed[0].Rule != tc.suppressedRule || suppressed[0].Reason == "" {
				t.Errorf("suppressed %+v, want %s with its reason", suppressed, tc.suppressedRule)
			}
		})
	}
}

// In a scenario the comments stand in the step's SQL block; a YAML #
// comment at the end of an inline step works too.
func TestSuppressionInAScenario(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.yaml")
	scenario := `name: s
schema:
  sql: "CREATE TABLE users (id bigint PRIMARY KEY, email text);"
data:
  tables:
    users: {rows: 10}
traffic:
  old:
    rate: 10
    queries: [{name: get, sql: "SELECT id FROM users WHERE id = $1", args: [{ref: users.id}]}]
migration:
  steps:
    - name: index
      lock_timeout: 2s
      sql: |
        -- rehearse:ignore index-not-concurrent -- users is tiny and written by a nightly job only
        CREATE INDEX users_email ON users (email);
    - {name: notnull, lock_timeout: 2s, sql: "ALTER TABLE users ALTER COLUMN email SET NOT NULL"} # rehearse:ignore set-not-null -- checked by a validated constraint in production
`
	if err := os.WriteFile(path, []byte(scenario), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, err := scenarios.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	kept, suppressed := Suppress(Scenario(sc), sc.Migration.Steps, os.ReadFile)
	if len(kept) != 0 || len(suppressed) != 2 {
		t.Errorf("kept %v, suppressed %v; want both findings suppressed", kept, suppressed)
	}
}
