package lint

import "testing"

func TestMissingLockTimeout(t *testing.T) {
	runRuleCases(t, RuleMissingLockTimeout, []ruleCase{
		{"no lock_timeout", []step{{sql: "ALTER TABLE users ADD COLUMN x int"}}, nil, Warning, true},
		{"step lock_timeout", []step{{sql: "ALTER TABLE users ADD COLUMN x int", lockTimeout: true}}, nil, 0, false},
		{"SET lock_timeout", []step{{sql: "SET lock_timeout = '2s'; ALTER TABLE users ADD COLUMN x int"}}, nil, 0, false},
		{"SET LOCAL lock_timeout", []step{{sql: "SET LOCAL lock_timeout TO 2000; ALTER TABLE users ADD COLUMN x int"}}, nil, 0, false},
		{"set_config", []step{{sql: "SELECT set_config('lock_timeout', '2s', true); ALTER TABLE users ADD COLUMN x int"}}, nil, 0, false},
		{"lock_timeout 0", []step{{sql: "SET lock_timeout = 0; ALTER TABLE users ADD COLUMN x int"}}, nil, Warning, true},
		{"new table only", []step{{sql: "CREATE TABLE t (a int); ALTER TABLE t ADD COLUMN b int"}}, nil, 0, false},
		{"weak lock", []step{{sql: "CREATE INDEX CONCURRENTLY i ON users (email)", noTx: true}}, nil, 0, false},
		{"foreign key locks the referenced table", []step{{sql: "CREATE TABLE t (u bigint REFERENCES users (id))"}}, nil, Warning, true},
	})
}
