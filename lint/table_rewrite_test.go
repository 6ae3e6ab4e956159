package lint

import "testing"

func TestTableRewrite(t *testing.T) {
	runRuleCases(t, RuleTableRewrite, []ruleCase{
		{"vacuum full", []step{{sql: "VACUUM FULL users", noTx: true}}, nil, Error, true},
		{"vacuum", []step{{sql: "VACUUM users", noTx: true}}, nil, 0, false},
		{"cluster", []step{{sql: "CLUSTER users USING users_pkey"}}, nil, Error, true},
		{"set unlogged", []step{{sql: "ALTER TABLE users SET UNLOGGED"}}, nil, Error, true},
		{"set logged", []step{{sql: "ALTER TABLE users SET LOGGED"}}, nil, Error, true},
		{"set fillfactor", []step{{sql: "ALTER TABLE users SET (fillfactor = 70)"}}, nil, 0, false},
	})
}
