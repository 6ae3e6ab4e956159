package lint

import "testing"

func TestAddColumnRequired(t *testing.T) {
	runRuleCases(t, RuleRequiredColumn, []ruleCase{
		{"not null without default", []step{{sql: "ALTER TABLE users ADD COLUMN plan text NOT NULL"}}, nil, Error, true},
		{"not null with default", []step{{sql: "ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free'"}}, nil, 0, false},
	})
}
