package scenarios

import (
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

func TestNoTransactionReason(t *testing.T) {
	t.Parallel()
	for sql, want := range map[string]string{
		"CREATE INDEX CONCURRENTLY i ON t (id)":                        "CREATE INDEX CONCURRENTLY",
		"ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY": "DETACH PARTITION CONCURRENTLY",
		"ALTER TABLE events DETACH PARTITION events_2023":              "",
		"ALTER TABLE events DETACH PARTITION events_2023 FINALIZE":     "",
		"VACUUM t":                 "VACUUM",
		"CREATE INDEX i ON t (id)": "",
	} {
		tree, err := pg_query.Parse(sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		if got := noTransactionReason(tree.Stmts[0].GetStmt()); got != want {
			t.Errorf("%s: %q, want %q", sql, got, want)
		}
	}
}
