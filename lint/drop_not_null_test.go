package lint

import "testing"

func TestDropNotNull(t *testing.T) {
	runRuleCases(t, RuleDropNotNull, []ruleCase{
		{"drop not null", []step{{sql: "ALTER TABLE users ALTER COLUMN name DROP NOT NULL"}}, nil, Info, true},
		{"set not null", []step{{sql: "ALTER TABLE users ALTER COLUMN name SET NOT NULL"}}, nil, 0, false},
	})
}
