package lint

import "testing"

func TestTruncateCascade(t *testing.T) {
	runRuleCases(t, RuleTruncateCascade, []ruleCase{
		{"truncate cascade", []step{{sql: "TRUNCATE users CASCADE"}}, nil, Error, true},
		{"truncate", []step{{sql: "TRUNCATE users"}}, nil, 0, false},
	})
}
