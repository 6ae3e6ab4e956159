package lint

import "testing"

func TestDropInUse(t *testing.T) {
	runRuleCases(t, RuleDropInUse, []ruleCase{
		{"drop a used column", []step{{sql: "ALTER TABLE users DROP COLUMN email"}}, oldQueries, Error, true},
		{"drop a column under SELECT *", []step{{sql: "ALTER TABLE users DROP COLUMN note"}},
			[]Query{{Workload: "old", Name: "all", SQL: "SELECT * FROM users WHERE id = $1"}}, Error, true},
		{"drop an unused column", []step{{sql: "ALTER TABLE users DROP COLUMN note"}}, oldQueries, 0, false},
		{"drop a used table", []step{{sql: "DROP TABLE orders"}}, oldQueries, Error, true},
		{"drop without known queries", []step{{sql: "DROP TABLE orders"}}, nil, 0, false},
		{"drop after the code stopped", []step{{sql: "SELECT 1"}, {sql: "DROP TABLE orders"}},
			[]Query{{Workload: "old", Name: "add_order", SQL: "INSERT INTO orders (user_id) VALUES ($1)", StopAfter: "s0"}}, 0, false},
	})
}
