package lint

import (
	"testing"

	"github.com/rehearse/rehearse/internal/pglock"
)

// predictLocks names the documented lock of each command form.
func TestPredictLocks(t *testing.T) {
	tests := []struct {
		sql  string
		rel  string
		want pglock.Mode
	}{
		{"ALTER TABLE users ADD COLUMN x int", "users", pglock.AccessExclusive},
		{"ALTER TABLE orders ADD CONSTRAINT f FOREIGN KEY (user_id) REFERENCES users (id)", "users", pglock.ShareRowExclusive},
		{"ALTER TABLE orders ADD CONSTRAINT f FOREIGN KEY (user_id) REFERENCES users (id)", "orders", pglock.ShareRowExclusive},
		{"ALTER TABLE users VALIDATE CONSTRAINT c", "users", pglock.ShareUpdateExclusive},
		{"ALTER TABLE users SET (fillfactor = 70), ADD COLUMN x int", "users", pglock.AccessExclusive},
		{"ALTER INDEX users_pkey RENAME TO users_pk", "users_pkey", pglock.ShareUpdateExclusive},
		{"ALTER TABLE users RENAME TO people", "users", pglock.AccessExclusive},
		{"CREATE INDEX i ON users (email)", "users", pglock.Share},
		{"CREATE INDEX CONCURRENTLY i ON users (email)", "users", pglock.ShareUpdateExclusive},
		{"DROP INDEX CONCURRENTLY i", "i", pglock.ShareUpdateExclusive},
		{"DROP TABLE app.users", "app.users", pglock.AccessExclusive},
		{"CREATE TRIGGER t BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION f()", "users", pglock.ShareRowExclusive},
		{"CREATE TABLE t (u bigint REFERENCES users (id))", "users", pglock.ShareRowExclusive},
		{"TRUNCATE users, orders", "orders", pglock.AccessExclusive},
		{"LOCK TABLE users IN SHARE MODE", "users", pglock.Share},
		{"LOCK TABLE users", "users", pglock.AccessExclusive},
		{"VACUUM users", "users", pglock.ShareUpdateExclusive},
		{"VACUUM FULL users", "users", pglock.AccessExclusive},
		{"CLUSTER users USING users_pkey", "users", pglock.AccessExclusive},
		{"REFRESH MATERIALIZED VIEW mv", "mv", pglock.AccessExclusive},
		{"REFRESH MATERIALIZED VIEW CONCURRENTLY mv", "mv", pglock.Exclusive},
		{"REINDEX TABLE users", "users", pglock.Share},
		{"REINDEX TABLE CONCURRENTLY users", "users", pglock.ShareUpdateExclusive},
		{"UPDATE users SET x = 1", "users", pglock.RowExclusive},
		{"SELECT 1", "users", pglock.None},
	}
	for _, tc := range tests {
		if got := lockFor(predictLocks(parseOne(tc.sql)), tc.rel); got != tc.want {
			t.Errorf("%s: lock on %s = %v, want %v", tc.sql, tc.rel, got, tc.want)
		}
	}
}
