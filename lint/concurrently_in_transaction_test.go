package lint

import "testing"

func TestConcurrentlyInTransaction(t *testing.T) {
	runRuleCases(t, RuleConcurrentlyInTx, []ruleCase{
		{"create index concurrently in a transaction", []step{{sql: "CREATE INDEX CONCURRENTLY i ON users (email)"}}, nil, Error, true},
		{"create index concurrently outside", []step{{sql: "CREATE INDEX CONCURRENTLY i ON users (email)", noTx: true}}, nil, 0, false},
		{"drop index concurrently in a transaction", []step{{sql: "DROP INDEX CONCURRENTLY i"}}, nil, Error, true},
		{"reindex concurrently after BEGIN", []step{{sql: "BEGIN; REINDEX TABLE CONCURRENTLY users; COMMIT", noTx: true}}, nil, Error, true},
		{"detach concurrently in a transaction", []step{{sql: "ALTER TABLE events DETACH PARTITION events_2024 CONCURRENTLY"}}, nil, Error, true},
		{"vacuum in a transaction", []step{{sql: "VACUUM users"}}, nil, Error, true},
		{"plain index", []step{{sql: "CREATE INDEX i ON users (email)"}}, nil, 0, false},
	})
}
