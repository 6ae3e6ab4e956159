package lint

import "testing"

func TestSetNotNull(t *testing.T) {
	runRuleCases(t, RuleSetNotNull, []ruleCase{
		{"set not null", []step{{sql: "ALTER TABLE users ALTER COLUMN email SET NOT NULL"}}, nil, Error, true},
		{"set not null after a validated check", []step{
			{sql: "ALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID"},
			{sql: "ALTER TABLE users VALIDATE CONSTRAINT email_nn"},
			{sql: "ALTER TABLE users ALTER COLUMN email SET NOT NULL"}}, nil, 0, false},
		{"set not null after an unvalidated check", []step{
			{sql: "ALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID"},
			{sql: "ALTER TABLE users ALTER COLUMN email SET NOT NULL"}}, nil, Error, true},
		{"set not null with a check in the schema", []step{{sql: "ALTER TABLE users ALTER COLUMN note SET NOT NULL"}}, nil, 0, false},
		{"already not null", []step{{sql: "ALTER TABLE users ALTER COLUMN name SET NOT NULL"}}, nil, 0, false},
	})
}

// Before PostgreSQL 12 a validated CHECK does not spare the scan.
func TestSetNotNullVersions(t *testing.T) {
	steps := []step{
		{sql: "ALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID"},
		{sql: "ALTER TABLE users VALIDATE CONSTRAINT email_nn"},
		{sql: "ALTER TABLE users ALTER COLUMN email SET NOT NULL"}}
	runRuleCasesWith(t, RuleSetNotNull, []Option{WithVersion(11)}, []ruleCase{{"validated check on 11", steps, nil, Error, true}})
	runRuleCasesWith(t, RuleSetNotNull, []Option{WithVersion(12)}, []ruleCase{{"validated check on 12", steps, nil, 0, false}})
}
