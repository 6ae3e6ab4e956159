package lint

import "testing"

func TestDropPrimaryKey(t *testing.T) {
	runRuleCases(t, RuleDropPrimaryKey, []ruleCase{
		{"drop the primary key", []step{{sql: "ALTER TABLE users DROP CONSTRAINT users_pkey"}}, nil, Warning, true},
		{"drop another constraint", []step{{sql: "ALTER TABLE users DROP CONSTRAINT users_name_check"}}, nil, 0, false},
		{"drop the primary key of a published table", []step{{sql: "CREATE PUBLICATION p FOR TABLE users"},
			{sql: "ALTER TABLE users DROP CONSTRAINT users_pkey"}}, nil, Error, true},
		{"named primary key", []step{{sql: "CREATE TABLE t (a int, CONSTRAINT t_key PRIMARY KEY (a))", noTx: true},
			{sql: "ALTER TABLE t DROP CONSTRAINT t_key"}}, nil, Warning, true},
	})
}
