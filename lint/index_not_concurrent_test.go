package lint

import "testing"

func TestIndexNotConcurrent(t *testing.T) {
	runRuleCases(t, RuleIndexNotConcurrent, []ruleCase{
		{"create index", []step{{sql: "CREATE INDEX users_email ON users (email)"}}, nil, Error, true},
		{"create index concurrently", []step{{sql: "CREATE INDEX CONCURRENTLY users_email ON users (email)", noTx: true}}, nil, 0, false},
		{"index on a table of this step", []step{{sql: "CREATE TABLE t (a int); CREATE INDEX ON t (a)"}}, nil, 0, false},
		{"reindex", []step{{sql: "REINDEX TABLE users"}}, nil, Error, true},
		{"reindex concurrently", []step{{sql: "REINDEX TABLE CONCURRENTLY users", noTx: true}}, nil, 0, false},
	})
}

// Before PostgreSQL 12 REINDEX has no CONCURRENTLY: a warning, with the
// copy-and-swap as the safe form.
func TestReindexVersions(t *testing.T) {
	runRuleCasesWith(t, RuleIndexNotConcurrent, []Option{WithVersion(11)}, []ruleCase{
		{"reindex on 11", []step{{sql: "REINDEX TABLE users"}}, nil, Warning, true},
	})
}
