package lint

import "testing"

func TestAddColumnVolatileDefault(t *testing.T) {
	runRuleCases(t, RuleVolatileDefault, []ruleCase{
		{"volatile default", []step{{sql: "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid()"}}, nil, Error, true},
		{"stable default", []step{{sql: "ALTER TABLE users ADD COLUMN seen timestamptz NOT NULL DEFAULT now()"}}, nil, 0, false},
		{"constant default", []step{{sql: "ALTER TABLE users ADD COLUMN score int NOT NULL DEFAULT 0"}}, nil, 0, false},
		{"serial", []step{{sql: "ALTER TABLE users ADD COLUMN n bigserial"}}, nil, Error, true},
		{"identity", []step{{sql: "ALTER TABLE users ADD COLUMN n bigint GENERATED ALWAYS AS IDENTITY"}}, nil, Error, true},
		{"unknown function", []step{{sql: "ALTER TABLE users ADD COLUMN code text DEFAULT make_code()"}}, nil, Info, true},
	})
}

// Before PostgreSQL 11 every non-NULL default rewrites the table.
func TestVolatileDefaultVersions(t *testing.T) {
	runRuleCasesWith(t, RuleVolatileDefault, []Option{WithVersion(10)}, []ruleCase{
		{"constant default on 10", []step{{sql: "ALTER TABLE users ADD COLUMN score int NOT NULL DEFAULT 0"}}, nil, Error, true},
		{"NULL default on 10", []step{{sql: "ALTER TABLE users ADD COLUMN score int DEFAULT NULL"}}, nil, 0, false},
	})
	runRuleCasesWith(t, RuleVolatileDefault, []Option{WithVersion(11)}, []ruleCase{
		{"constant default on 11", []step{{sql: "ALTER TABLE users ADD COLUMN score int NOT NULL DEFAULT 0"}}, nil, 0, false},
	})
}
