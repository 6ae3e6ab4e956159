package lint

import "testing"

func TestDropDatabase(t *testing.T) {
	runRuleCases(t, RuleDropDatabase, []ruleCase{
		{"drop database", []step{{sql: "DROP DATABASE app", noTx: true}}, nil, Error, true},
		{"drop table", []step{{sql: "DROP TABLE orders"}}, nil, 0, false},
	})
}
