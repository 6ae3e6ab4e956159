package lint

import "testing"

func TestRenameInUse(t *testing.T) {
	runRuleCases(t, RuleRenameInUse, []ruleCase{
		{"rename a used column", []step{{sql: "ALTER TABLE users RENAME COLUMN email TO mail"}}, oldQueries, Error, true},
		{"rename an unused column", []step{{sql: "ALTER TABLE users RENAME COLUMN note TO remark"}}, oldQueries, 0, false},
		{"rename without known queries", []step{{sql: "ALTER TABLE users RENAME COLUMN note TO remark"}}, nil, Warning, true},
		{"rename a used table", []step{{sql: "ALTER TABLE orders RENAME TO purchases"}}, oldQueries, Error, true},
		{"rename after the code stopped", []step{{sql: "SELECT 1"}, {sql: "ALTER TABLE users RENAME COLUMN email TO mail"}},
			[]Query{{Workload: "old", Name: "get_user", SQL: "SELECT email FROM users WHERE id = $1", StopAfter: "s0"}}, 0, false},
	})
}
