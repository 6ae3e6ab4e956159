package lint

import (
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// checkSetNotNull flags SET NOT NULL on a column that is not NOT NULL yet
// and has no validated CHECK (col IS NOT NULL) to skip the scan with.
func checkSetNotNull(l *linter, s *stepState) {
	rel, mode, cmds, ok := s.alterTable()
	if !ok {
		return
	}
	for _, cmd := range cmds {
		if cmd.GetSubtype() != pg_query.AlterTableType_AT_SetNotNull {
			continue
		}
		col := cmd.GetName()
		if c := l.cat.Table(rel).Column(col); c != nil && c.NotNull {
			continue // already NOT NULL: nothing to check
		}
		if l.checks.validated(rel, col) {
			continue
		}
		l.add(s, RuleSetNotNull, Error, rel, mode,
			fmt.Sprintf("SET NOT NULL on %s.%s scans the whole table to check for NULLs while holding an ACCESS EXCLUSIVE lock: reads and writes of %s wait for the scan.", rel, col, rel),
			fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s_not_null CHECK (%s IS NOT NULL) NOT VALID; then, in another transaction, VALIDATE CONSTRAINT %s_not_null (no write-blocking lock); then SET NOT NULL skips the scan (PostgreSQL 12+) and the CHECK can be dropped.", rel, col, col, col))
	}
}
