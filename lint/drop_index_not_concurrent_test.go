package lint

import "testing"

func TestDropIndexNotConcurrent(t *testing.T) {
	schema := WithSchema(testSchema + "CREATE INDEX users_email ON users (email);")
	runRuleCasesWith(t, RuleDropIndexNotConcurrent, []Option{schema}, []ruleCase{
		{"drop index", []step{{sql: "DROP INDEX users_email"}}, nil, Warning, true},
		{"drop index concurrently", []step{{sql: "DROP INDEX CONCURRENTLY users_email", noTx: true}}, nil, 0, false},
		{"index of a table created in the step", []step{{sql: "CREATE TABLE t (a int); CREATE INDEX t_a ON t (a); DROP INDEX t_a"}}, nil, 0, false},
	})
	// The lock is on the index's table, the one traffic waits for.
	f := Steps(buildSteps([]step{{sql: "DROP INDEX users_email"}}), schema)
	if len(f) == 0 || f[0].Relation != "users" || f[0].Lock != "AccessExclusiveLock" {
		t.Errorf("findings %v, want the first on users, AccessExclusiveLock", f)
	}
}
