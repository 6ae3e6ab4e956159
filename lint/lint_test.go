package lint

import (
	"encoding/json"
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

func TestRules(t *testing.T) {
	tests := []struct {
		name    string
		rule    string
		steps   []step
		queries []Query // nil: no queries known
		want    Severity
		found   bool
	}{
		// index-not-concurrent
		{"create index", RuleIndexNotConcurrent, []step{{sql: "CREATE INDEX users_email ON users (email)"}}, nil, Error, true},
		{"create index concurrently", RuleIndexNotConcurrent, []step{{sql: "CREATE INDEX CONCURRENTLY users_email ON users (email)", noTx: true}}, nil, 0, false},
		{"index on a table of this step", RuleIndexNotConcurrent, []step{{sql: "CREATE TABLE t (a int); CREATE INDEX ON t (a)"}}, nil, 0, false},
		{"reindex", RuleIndexNotConcurrent, []step{{sql: "REINDEX TABLE users"}}, nil, Error, true},
		{"reindex concurrently", RuleIndexNotConcurrent, []step{{sql: "REINDEX TABLE CONCURRENTLY users", noTx: true}}, nil, 0, false},

		// alter-column-type
		{"int to bigint", RuleAlterColumnType, []step{{sql: "ALTER TABLE users ALTER COLUMN balance TYPE bigint"}}, nil, Error, true},
		{"varchar to text", RuleAlterColumnType, []step{{sql: "ALTER TABLE users ALTER COLUMN email TYPE text"}}, nil, 0, false},
		{"longer varchar", RuleAlterColumnType, []step{{sql: "ALTER TABLE users ALTER COLUMN email TYPE varchar(200)"}}, nil, 0, false},
		{"shorter varchar", RuleAlterColumnType, []step{{sql: "ALTER TABLE users ALTER COLUMN email TYPE varchar(20)"}}, nil, Error, true},
		{"larger numeric", RuleAlterColumnType, []step{{sql: "ALTER TABLE orders ALTER COLUMN total TYPE numeric(12,2)"}}, nil, 0, false},

		// set-not-null
		{"set not null", RuleSetNotNull, []step{{sql: "ALTER TABLE users ALTER COLUMN email SET NOT NULL"}}, nil, Error, true},
		{"set not null after a validated check", RuleSetNotNull, []step{
			{sql: "ALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID"},
			{sql: "ALTER TABLE users VALIDATE CONSTRAINT email_nn"},
			{sql: "ALTER TABLE users ALTER COLUMN email SET NOT NULL"}}, nil, 0, false},
		{"set not null after an unvalidated check", RuleSetNotNull, []step{
			{sql: "ALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID"},
			{sql: "ALTER TABLE users ALTER COLUMN email SET NOT NULL"}}, nil, Error, true},
		{"set not null with a check in the schema", RuleSetNotNull, []step{{sql: "ALTER TABLE users ALTER COLUMN note SET NOT NULL"}}, nil, 0, false},
		{"already not null", RuleSetNotNull, []step{{sql: "ALTER TABLE users ALTER COLUMN name SET NOT NULL"}}, nil, 0, false},

		// constraint-not-valid
		{"foreign key", RuleConstraintNotValid, []step{{sql: "ALTER TABLE orders ADD CONSTRAINT orders_user FOREIGN KEY (user_id) REFERENCES users (id)"}}, nil, Error, true},
		{"foreign key not valid", RuleConstraintNotValid, []step{{sql: "ALTER TABLE orders ADD CONSTRAINT orders_user FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID"}}, nil, 0, false},
		{"check", RuleConstraintNotValid, []step{{sql: "ALTER TABLE orders ADD CONSTRAINT positive CHECK (total > 0)"}}, nil, Error, true},
		{"check not valid", RuleConstraintNotValid, []step{{sql: "ALTER TABLE orders ADD CONSTRAINT positive CHECK (total > 0) NOT VALID"}}, nil, 0, false},
		{"column with references", RuleConstraintNotValid, []step{{sql: "ALTER TABLE orders ADD COLUMN buyer bigint REFERENCES users (id)"}}, nil, Error, true},

		// add-column-volatile-default
		{"volatile default", RuleVolatileDefault, []step{{sql: "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid()"}}, nil, Error, true},
		{"stable default", RuleVolatileDefault, []step{{sql: "ALTER TABLE users ADD COLUMN seen timestamptz NOT NULL DEFAULT now()"}}, nil, 0, false},
		{"constant default", RuleVolatileDefault, []step{{sql: "ALTER TABLE users ADD COLUMN score int NOT NULL DEFAULT 0"}}, nil, 0, false},
		{"serial", RuleVolatileDefault, []step{{sql: "ALTER TABLE users ADD COLUMN n bigserial"}}, nil, Error, true},
		{"identity", RuleVolatileDefault, []step{{sql: "ALTER TABLE users ADD COLUMN n bigint GENERATED ALWAYS AS IDENTITY"}}, nil, Error, true},
		{"unknown function", RuleVolatileDefault, []step{{sql: "ALTER TABLE users ADD COLUMN code text DEFAULT make_code()"}}, nil, Info, true},

		// add-column-required
		{"not null without default", RuleRequiredColumn, []step{{sql: "ALTER TABLE users ADD COLUMN plan text NOT NULL"}}, nil, Error, true},
		{"not null with default", RuleRequiredColumn, []step{{sql: "ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free'"}}, nil, 0, false},

		// rename-in-use
		{"rename a used column", RuleRenameInUse, []step{{sql: "ALTER TABLE users RENAME COLUMN email TO mail"}}, oldQueries, Error, true},
		{"rename an unused column", RuleRenameInUse, []step{{sql: "ALTER TABLE users RENAME COLUMN note TO remark"}}, oldQueries, 0, false},
		{"rename without known queries", RuleRenameInUse, []step{{sql: "ALTER TABLE users RENAME COLUMN note TO remark"}}, nil, Warning, true},
		{"rename a used table", RuleRenameInUse, []step{{sql: "ALTER TABLE orders RENAME TO purchases"}}, oldQueries, Error, true},
		{"rename after the code stopped", RuleRenameInUse, []step{{sql: "SELECT 1"}, {sql: "ALTER TABLE users RENAME COLUMN email TO mail"}},
			[]Query{{Workload: "old", Name: "get_user", SQL: "SELECT email FROM users WHERE id = $1", StopAfter: "s0"}}, 0, false},

		// drop-in-use
		{"drop a used column", RuleDropInUse, []step{{sql: "ALTER TABLE users DROP COLUMN email"}}, oldQueries, Error, true},
		{"drop a column under SELECT *", RuleDropInUse, []step{{sql: "ALTER TABLE users DROP COLUMN note"}},
			[]Query{{Workload: "old", Name: "all", SQL: "SELECT * FROM users WHERE id = $1"}}, Error, true},
		{"drop an unused column", RuleDropInUse, []step{{sql: "ALTER TABLE users DROP COLUMN note"}}, oldQueries, 0, false},
		{"drop a used table", RuleDropInUse, []step{{sql: "DROP TABLE orders"}}, oldQueries, Error, true},
		{"drop without known queries", RuleDropInUse, []step{{sql: "DROP TABLE orders"}}, nil, 0, false},
		{"drop after the code stopped", RuleDropInUse, []step{{sql: "SELECT 1"}, {sql: "DROP TABLE orders"}},
			[]Query{{Workload: "old", Name: "add_order", SQL: "INSERT INTO orders (user_id) VALUES ($1)", StopAfter: "s0"}}, 0, false},

		// unique-constraint
		{"unique constraint", RuleUniqueConstraint, []step{{sql: "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email)"}}, nil, Error, true},
		{"unique using index", RuleUniqueConstraint, []step{
			{sql: "CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email)", noTx: true},
			{sql: "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key"}}, nil, 0, false},
		{"primary key", RuleUniqueConstraint, []step{{sql: "ALTER TABLE orders ADD PRIMARY KEY (id, user_id)"}}, nil, Error, true},
		{"unique column", RuleUniqueConstraint, []step{{sql: "ALTER TABLE users ADD COLUMN handle text UNIQUE"}}, nil, Error, true},

		// missing-lock-timeout
		{"no lock_timeout", RuleMissingLockTimeout, []step{{sql: "ALTER TABLE users ADD COLUMN x int"}}, nil, Warning, true},
		{"step lock_timeout", RuleMissingLockTimeout, []step{{sql: "ALTER TABLE users ADD COLUMN x int", lockTimeout: true}}, nil, 0, false},
		{"SET lock_timeout", RuleMissingLockTimeout, []step{{sql: "SET lock_timeout = '2s'; ALTER TABLE users ADD COLUMN x int"}}, nil, 0, false},
		{"SET LOCAL lock_timeout", RuleMissingLockTimeout, []step{{sql: "SET LOCAL lock_timeout TO 2000; ALTER TABLE users ADD COLUMN x int"}}, nil, 0, false},
		{"set_config", RuleMissingLockTimeout, []step{{sql: "SELECT set_config('lock_timeout', '2s', true); ALTER TABLE users ADD COLUMN x int"}}, nil, 0, false},
		{"lock_timeout 0", RuleMissingLockTimeout, []step{{sql: "SET lock_timeout = 0; ALTER TABLE users ADD COLUMN x int"}}, nil, Warning, true},
		{"new table only", RuleMissingLockTimeout, []step{{sql: "CREATE TABLE t (a int); ALTER TABLE t ADD COLUMN b int"}}, nil, 0, false},
		{"weak lock", RuleMissingLockTimeout, []step{{sql: "CREATE INDEX CONCURRENTLY i ON users (email)", noTx: true}}, nil, 0, false},
		{"foreign key locks the referenced table", RuleMissingLockTimeout, []step{{sql: "CREATE TABLE t (u bigint REFERENCES users (id))"}}, nil, Warning, true},

		// strong-lock-held
		{"update under the lock", RuleStrongLockHeld, []step{{sql: "ALTER TABLE users ADD COLUMN x int; UPDATE users SET x = 1"}}, nil, Warning, true},
		{"each statement commits", RuleStrongLockHeld, []step{{sql: "ALTER TABLE users ADD COLUMN x int; UPDATE users SET x = 1", noTx: true}}, nil, 0, false},
		{"second table", RuleStrongLockHeld, []step{{sql: "ALTER TABLE users ADD COLUMN x int; ALTER TABLE orders ADD COLUMN y int"}}, nil, Warning, true},
		{"trigger on the same table", RuleStrongLockHeld, []step{{sql: "ALTER TABLE users ADD COLUMN x int; CREATE TRIGGER t BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION f()"}}, nil, 0, false},
		{"explicit transaction", RuleStrongLockHeld, []step{{sql: "BEGIN; ALTER TABLE users ADD COLUMN x int; UPDATE users SET x = 1; COMMIT", noTx: true}}, nil, Warning, true},
		{"after commit", RuleStrongLockHeld, []step{{sql: "BEGIN; ALTER TABLE users ADD COLUMN x int; COMMIT; UPDATE users SET x = 1", noTx: true}}, nil, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := []Option{WithSchema(testSchema)}
			if tc.queries != nil {
				opts = append(opts, WithQueries(tc.queries...))
			}
			findings := Steps(buildSteps(tc.steps), opts...)
			var got []Finding
			for _, f := range findings {
				if f.Rule == tc.rule {
					got = append(got, f)
				}
			}
			switch {
			case !tc.found && len(got) > 0:
				t.Errorf("unexpected %s: %s", tc.rule, got[0])
			case tc.found && len(got) == 0:
				t.Errorf("no %s finding; got %v", tc.rule, findings)
			case tc.found && got[0].Severity != tc.want:
				t.Errorf("severity %s, want %s: %s", got[0].Severity, tc.want, got[0])
			case tc.found && (got[0].Message == "" || got[0].Safe == "" || got[0].Statement == "" || got[0].Relation == ""):
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
	res := Results(got)
	data, err := json.Marshal(res[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"rule":"alter-column-type","severity":"error","step":"expand"`) {
		t.Errorf("JSON %s", data)
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
