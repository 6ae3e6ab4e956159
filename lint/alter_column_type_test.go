package lint

import "testing"

func TestAlterColumnType(t *testing.T) {
	runRuleCases(t, RuleAlterColumnType, []ruleCase{
		{"int to bigint", []step{{sql: "ALTER TABLE users ALTER COLUMN balance TYPE bigint"}}, nil, Error, true},
		{"varchar to text", []step{{sql: "ALTER TABLE users ALTER COLUMN email TYPE text"}}, nil, 0, false},
		{"longer varchar", []step{{sql: "ALTER TABLE users ALTER COLUMN email TYPE varchar(200)"}}, nil, 0, false},
		{"shorter varchar", []step{{sql: "ALTER TABLE users ALTER COLUMN email TYPE varchar(20)"}}, nil, Error, true},
		{"larger numeric", []step{{sql: "ALTER TABLE orders ALTER COLUMN total TYPE numeric(12,2)"}}, nil, 0, false},
	})
}
