package lint

import "testing"

func TestEnumAddValueInTransaction(t *testing.T) {
	add := "ALTER TYPE mood ADD VALUE 'meh'"
	runRuleCasesWith(t, RuleEnumAddValueInTx, []Option{WithVersion(11)}, []ruleCase{
		{"in a transaction on 11", []step{{sql: add}}, nil, Error, true},
		{"outside a transaction on 11", []step{{sql: add, noTx: true}}, nil, 0, false},
	})
	runRuleCasesWith(t, RuleEnumAddValueInTx, []Option{WithVersion(12)}, []ruleCase{
		{"in a transaction on 12", []step{{sql: add}}, nil, 0, false},
	})
	runRuleCases(t, RuleEnumAddValueInTx, []ruleCase{
		{"version unknown: judged as the newest", []step{{sql: add}}, nil, 0, false},
	})
}
