package lint

import "testing"

func TestTransactionNesting(t *testing.T) {
	runRuleCases(t, RuleTransactionNesting, []ruleCase{
		{"BEGIN in a transactional step", []step{{sql: "BEGIN; ALTER TABLE users ADD COLUMN x int; COMMIT"}}, nil, Warning, true},
		{"COMMIT in a transactional step", []step{{sql: "ALTER TABLE users ADD COLUMN x int; COMMIT"}}, nil, Warning, true},
		{"BEGIN ... COMMIT outside", []step{{sql: "BEGIN; ALTER TABLE users ADD COLUMN x int; COMMIT", noTx: true}}, nil, 0, false},
		{"two transactions outside", []step{{sql: "BEGIN; SELECT 1; COMMIT; BEGIN; SELECT 2; COMMIT", noTx: true}}, nil, 0, false},
	})
}
