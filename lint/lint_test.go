package lint

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/rehearse/rehearse/scenarios"
)

const testSchema = `
CREATE TABLE users (
    id bigint PRIMARY KEY,
    email varchar(50),
    name text NOT NULL,
    balance integer,
    note varchar(100),
    CONSTRAINT users_name_check CHECK (note IS NOT NULL)
);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, total numeric(10,2));
`

// step is a test step: SQL, run in a transaction unless noTx.
type step struct {
	sql         string
	noTx        bool
	lockTimeout bool
}

func buildSteps(specs []step) []*scenarios.Step {
	out := make([]*scenarios.Step, len(specs))
	for i, sp := range specs {
		st := &scenarios.Step{Name: "s" + string(rune('0'+i)), SQL: sp.sql}
		if sp.noTx {
			st.Transaction = new(bool)
		}
		if sp.lockTimeout {
			st.LockTimeout = scenarios.Duration(2e9)
		}
		out[i] = st
	}
	return out
}

var oldQueries = []Query{
	{Workload: "old", Name: "get_user", SQL: "SELECT u.id, u.email FROM users u WHERE u.id = $1"},
	{Workload: "old", Name: "add_order", SQL: "INSERT INTO orders (user_id, total) VALUES ($1, $2)"},
}

// noRelation are the rules about a transaction rather than a relation.
var noRelation = map[string]bool{RuleTransactionNesting: true, RuleUncommittedTx: true}

// ruleCase is one statement sequence and what a rule must say about it.
type ruleCase struct {
	name    string
	steps   []step
	queries []Query // nil: no queries known
	want    Severity
	found   bool
}

// runRuleCases lints each case against testSchema and checks rule's
// first finding: present or not, its severity and its fields.
func runRuleCases(t *testing.T, rule string, cases []ruleCase) {
	t.Helper()
	runRuleCasesWith(t, rule, nil, cases)
}

// runRuleCasesWith is runRuleCases with options after the test schema (a
// WithSchema among them replaces it).
func runRuleCasesWith(t *testing.T, rule string, extra []Option, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := append([]Option{WithSchema(testSchema)}, extra...)
			if tc.queries != nil {
				opts = append(opts, WithQueries(tc.queries...))
			}
			findings := Steps(buildSteps(tc.steps), opts...)
			var got []Finding
			for _, f := range findings {
				if f.Rule == rule {
					got = append(got, f)
				}
			}
			switch {
			case !tc.found && len(got) > 0:
				t.Errorf("unexpected %s: %s", rule, got[0])
			case tc.found && len(got) == 0:
				t.Errorf("no %s finding; got %v", rule, findings)
			case tc.found && got[0].Severity != tc.want:
				t.Errorf("severity %s, want %s: %s", got[0].Severity, tc.want, got[0])
			case tc.found && (got[0].Message == "" || got[0].Safe == "" || got[0].Statement == "" || (got[0].Relation == "" && !noRelation[rule])):
				t.Errorf("finding lacks a field: %+v", got[0])
			}
		})
	}
}

// Every rule a finding can carry is documented in Rules.
func TestRulesAreListed(t *testing.T) {
	ids := map[string]bool{}
	for _, r := range Rules() {
		if ids[r.ID] || r.Summary == "" {
			t.Errorf("rule %q listed twice or without a summary", r.ID)
		}
		ids[r.ID] = true
		if !r.Off && r.Proof == "" {
			t.Errorf("rule %s is on by default and says nothing of its proof", r.ID)
		}
	}
	for _, id := range []string{RuleIndexNotConcurrent, RuleAlterColumnType, RuleSetNotNull, RuleConstraintNotValid,
		RuleVolatileDefault, RuleRequiredColumn, RuleRenameInUse, RuleDropInUse, RuleUniqueConstraint,
		RuleMissingLockTimeout, RuleStrongLockHeld} {
		if !ids[id] {
			t.Errorf("rule %s is not in Rules()", id)
		}
	}
}

// Findings of a loaded scenario point at the line of the file the user
// edits, predict the lock and use the scenario's workloads.
func TestScenarioFindings(t *testing.T) {
	sc, err := scenarios.Parse([]byte(`name: x
schema: {sql: "CREATE TABLE users (id bigint PRIMARY KEY, name text, balance integer)"}
traffic:
  old:
    rate: 10
    stop_after: contract
    queries: [{name: get, sql: "SELECT name FROM users WHERE id = $1", args: [{value: 1}]}]
  new:
    rate: 10
    start_after: expand
    queries: [{name: get, sql: "SELECT full_name FROM users WHERE id = $1", args: [{value: 1}]}]
migration:
  steps:
    - name: expand
      lock_timeout: 1s
      sql: |
        ALTER TABLE users ADD COLUMN full_name text;
        ALTER TABLE users ALTER COLUMN balance TYPE bigint;
    - name: contract
      sql: ALTER TABLE users DROP COLUMN name
`), "s.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got := Scenario(sc)
	var lines []string
	for _, f := range got {
		lines = append(lines, f.String())
	}
	want := []string{
		"s.yaml:18: alter-column-type: error:",
		"s.yaml:18: strong-lock-held: warning: users has been locked ACCESS EXCLUSIVE since line 17 of this transaction",
		// old code stops after contract: it still runs while contract drops its column.
		"s.yaml:20: drop-in-use: error: DROP COLUMN users.name breaks old query get, still running at this step.",
		"s.yaml:20: missing-lock-timeout: warning:",
	}
	if len(got) != len(want) {
		t.Fatalf("findings:\n%s", strings.Join(lines, "\n"))
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("finding %d = %s\nwant prefix %s", i, lines[i], w)
		}
	}
	f := got[0]
	if f.Step != "expand" || f.Statement != "ALTER TABLE users ALTER COLUMN balance TYPE bigint" || f.Column != 9 ||
		f.Relation != "users" || f.Lock != "AccessExclusiveLock" {
		t.Errorf("finding %+v", f)
	}
}

// The examples this repository ships are linted as their comments say.
func TestExampleFindings(t *testing.T) {
	tests := []struct {
		file  string
		rules string
	}{
		{"rename-column.yaml", ""},
		{"unsafe-type-change.yaml", "alter-column-type missing-lock-timeout"},
		{"golang-migrate.yaml", "add-column-volatile-default missing-lock-timeout"},
		{"goose.yaml", "missing-lock-timeout strong-lock-held set-not-null"},
	}
	for _, tc := range tests {
		sc, err := scenarios.Load(filepath.Join("..", "scenarios", "examples", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		var rules []string
		for _, f := range Scenario(sc) {
			rules = append(rules, f.Rule)
		}
		if got := strings.Join(rules, " "); got != tc.rules {
			t.Errorf("%s: rules %q, want %q", tc.file, got, tc.rules)
		}
	}
}

func TestParseSeverity(t *testing.T) {
	for _, s := range []Severity{Info, Warning, Error} {
		got, err := ParseSeverity(s.String())
		if err != nil || got != s {
			t.Errorf("ParseSeverity(%s) = %v, %v", s, got, err)
		}
	}
	if _, err := ParseSeverity("fatal"); err == nil {
		t.Error("ParseSeverity(fatal) succeeded")
	}
}
