package lint

import (
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/rehearse/rehearse/internal/pglock"
)

// checkDropIndexNotConcurrent flags DROP INDEX without CONCURRENTLY of an
// index that existed before the step. The drop itself is quick, but it
// needs ACCESS EXCLUSIVE on the table: it waits behind every query on it,
// and every query queues behind it.
func checkDropIndexNotConcurrent(l *linter, s *stepState) {
	ds := s.node.GetDropStmt()
	if ds == nil || ds.GetRemoveType() != pg_query.ObjectType_OBJECT_INDEX || ds.GetConcurrent() {
		return
	}
	for _, idx := range dropNames(ds) {
		table, known := l.objects.indexTable[idx]
		if known && s.created[table] {
			continue
		}
		rel, on := table, table
		if !known {
			rel, on = idx, "the index's table"
		}
		l.add(s, RuleDropIndexNotConcurrent, Warning, rel, pglock.AccessExclusive,
			fmt.Sprintf("DROP INDEX %s takes an ACCESS EXCLUSIVE lock on %s: it waits for every running query on it, and all reads and writes queue behind it meanwhile.", idx, on),
			"DROP INDEX CONCURRENTLY, outside a transaction (a step with transaction: false).")
	}
}
