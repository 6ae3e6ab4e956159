package lint

import "testing"

func TestUncommittedTransaction(t *testing.T) {
	runRuleCases(t, RuleUncommittedTx, []ruleCase{
		{"BEGIN without COMMIT", []step{{sql: "BEGIN; ALTER TABLE users ADD COLUMN x int", noTx: true}}, nil, Error, true},
		{"BEGIN ... COMMIT", []step{{sql: "BEGIN; ALTER TABLE users ADD COLUMN x int; COMMIT", noTx: true}}, nil, 0, false},
		{"BEGIN ... ROLLBACK", []step{{sql: "BEGIN; ALTER TABLE users ADD COLUMN x int; ROLLBACK", noTx: true}}, nil, 0, false},
		{"runner's transaction", []step{{sql: "ALTER TABLE users ADD COLUMN x int"}}, nil, 0, false},
	})
}
