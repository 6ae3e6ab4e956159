package rehearse

import (
	"os"
	"testing"

	"github.com/rehearse/rehearse/internal/pgtest"
)

// Most tests here start servers through a provider, as Run does; the few
// that need only a database share one cluster, started on first use.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// smallTable is a database with t(id int primary key, v text) of 10 rows.
func smallTable(t *testing.T) string {
	t.Helper()
	dsn := pgtest.NewDB(t)
	pgtest.Exec(t, dsn, `CREATE TABLE t (id int PRIMARY KEY, v text NOT NULL);
		INSERT INTO t SELECT g, 'row ' || g FROM generate_series(1, 10) g`)
	return dsn
}
