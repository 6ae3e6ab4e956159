package lint

import (
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// checkDetachNotConcurrent flags DETACH PARTITION without CONCURRENTLY. On
// servers before 14 there is no CONCURRENTLY form: a warning there.
func checkDetachNotConcurrent(l *linter, s *stepState) {
	rel, mode, cmds, ok := s.alterTable()
	if !ok {
		return
	}
	for _, cmd := range cmds {
		if cmd.GetSubtype() != pg_query.AlterTableType_AT_DetachPartition || cmd.GetDef().GetPartitionCmd().GetConcurrent() {
			continue
		}
		part := relName(cmd.GetDef().GetPartitionCmd().GetName())
		msg := fmt.Sprintf("DETACH PARTITION %s takes an ACCESS EXCLUSIVE lock on %s: every read and write of every partition waits, and queues behind it while it waits for running queries.", part, rel)
		if !l.opts.atLeast(14) {
			l.add(s, RuleDetachNotConcurrent, Warning, rel, mode, msg,
				"PostgreSQL 14+ has DETACH PARTITION ... CONCURRENTLY; before it, detach with a short lock_timeout and retry.")
			continue
		}
		l.add(s, RuleDetachNotConcurrent, Error, rel, mode, msg,
			fmt.Sprintf("ALTER TABLE %s DETACH PARTITION %s CONCURRENTLY, outside a transaction: it takes only SHARE UPDATE EXCLUSIVE.", rel, part))
	}
}
