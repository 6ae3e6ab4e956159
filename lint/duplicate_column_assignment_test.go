package lint

import "testing"

func TestDuplicateColumnAssignment(t *testing.T) {
	runRuleCases(t, RuleDuplicateAssignment, []ruleCase{
		{"twice", []step{{sql: "UPDATE users SET name = 'a', balance = 1, name = 'b'"}}, nil, Error, true},
		{"once each", []step{{sql: "UPDATE users SET name = 'a', balance = 1"}}, nil, 0, false},
	})
}
