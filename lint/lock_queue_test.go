package lint

import "testing"

func TestLockQueue(t *testing.T) {
	report := WithBackground(Background{Name: "report", SQL: "SELECT count(*) FROM users"})
	runRuleCasesWith(t, RuleLockQueue, []Option{report}, []ruleCase{
		{"ACCESS EXCLUSIVE beside a long read", []step{{sql: "ALTER TABLE users ADD COLUMN x int"}}, nil, Error, true},
		{"with lock_timeout", []step{{sql: "ALTER TABLE users ADD COLUMN x int", lockTimeout: true}}, nil, Warning, true},
		{"SHARE does not conflict with a read", []step{{sql: "CREATE INDEX i ON users (email)"}}, nil, 0, false},
		{"another table", []step{{sql: "ALTER TABLE orders ADD COLUMN x int"}}, nil, 0, false},
	})
	writer := WithBackground(Background{Name: "batch", SQL: "UPDATE users SET balance = 0"})
	runRuleCasesWith(t, RuleLockQueue, []Option{writer}, []ruleCase{
		{"SHARE beside a writer", []step{{sql: "CREATE INDEX i ON users (email)"}}, nil, Error, true},
	})
	runRuleCases(t, RuleLockQueue, []ruleCase{
		{"no background session", []step{{sql: "ALTER TABLE users ADD COLUMN x int"}}, nil, 0, false},
	})
}
