package lint

import (
	"strings"
	"testing"
)

func TestIdentifierTooLong(t *testing.T) {
	long := strings.Repeat("x", 64)
	runRuleCases(t, RuleIdentifierTooLong, []ruleCase{
		{"long column", []step{{sql: "ALTER TABLE users ADD COLUMN " + long + " int"}}, nil, Warning, true},
		{"long index", []step{{sql: "CREATE INDEX " + long + " ON users (email)"}}, nil, Warning, true},
		{"long rename", []step{{sql: "ALTER TABLE users RENAME TO " + long}}, nil, Warning, true},
		{"63 bytes", []step{{sql: "CREATE TABLE " + long[:63] + " (a int)"}}, nil, 0, false},
	})
}
