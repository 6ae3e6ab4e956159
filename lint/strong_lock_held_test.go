package lint

import "testing"

func TestStrongLockHeld(t *testing.T) {
	runRuleCases(t, RuleStrongLockHeld, []ruleCase{
		{"update under the lock", []step{{sql: "ALTER TABLE users ADD COLUMN x int; UPDATE users SET x = 1"}}, nil, Warning, true},
		{"each statement commits", []step{{sql: "ALTER TABLE users ADD COLUMN x int; UPDATE users SET x = 1", noTx: true}}, nil, 0, false},
		{"second table", []step{{sql: "ALTER TABLE users ADD COLUMN x int; ALTER TABLE orders ADD COLUMN y int"}}, nil, Warning, true},
		{"trigger on the same table", []step{{sql: "ALTER TABLE users ADD COLUMN x int; CREATE TRIGGER t BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION f()"}}, nil, 0, false},
		{"explicit transaction", []step{{sql: "BEGIN; ALTER TABLE users ADD COLUMN x int; UPDATE users SET x = 1; COMMIT", noTx: true}}, nil, Warning, true},
		{"after commit", []step{{sql: "BEGIN; ALTER TABLE users ADD COLUMN x int; COMMIT; UPDATE users SET x = 1", noTx: true}}, nil, 0, false},
	})
}
