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
		if l.opts.atLeast(12) && l.checks.validated(rel, col) {
			continue // PostgreSQL 12+ skips the scan
		}
		if !l.opts.atLeast(12) {
			l.add(s, RuleSetNotNull, Error, rel, mode,
				fmt.Sprintf("SET NOT NULL on %s.%s scans the whole table to check for NULLs while holding an ACCESS EXCLUSIVE lock (before PostgreSQL 12, even when a validated CHECK proves there are none).", rel, col),
				fmt.Sprintf("before PostgreSQL 12, keep a validated CHECK (%s IS NOT NULL) constraint instead of the column constraint; from 12, SET NOT NULL after it skips the scan.", col)).Effect = EffectScan
			continue
		}
		l.add(s, RuleSetNotNull, Error, rel, mode,
			fmt.Sprintf("SET NOT NULL on %s.%s scans the whole table to check for NULLs while holding an ACCESS EXCLUSIVE lock: reads and writes of %s wait for the scan.", rel, col, rel),
			fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s_not_null CHECK (%s IS NOT NULL) NOT VALID; then, in another transaction, VALIDATE CONSTRAINT %s_not_null (no write-blocking lock); then SET NOT NULL skips the scan (PostgreSQL 12+) and the CHECK can be dropped.", rel, col, col, col)).Effect = EffectScan
	}
}
