package lint

import (
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/rehearse/rehearse/internal/pglock"
)

// checkDropInUse flags DROP TABLE and DROP COLUMN of what a query that is
// still running uses. Without known queries it says nothing: dropping
// what nobody uses is the point of a contract step.
func checkDropInUse(l *linter, s *stepState) {
	if ds := s.node.GetDropStmt(); ds != nil && ds.GetRemoveType() == pg_query.ObjectType_OBJECT_TABLE {
		for _, t := range dropNames(ds) {
			dropTable(l, s, t)
		}
	}
	rel, mode, cmds, ok := s.alterTable()
	if !ok {
		return
	}
	for _, cmd := range cmds {
		if cmd.GetSubtype() == pg_query.AlterTableType_AT_DropColumn {
			dropColumn(l, s, rel, mode, cmd.GetName())
		}
	}
}

func dropTable(l *linter, s *stepState, table string) {
	if s.created[table] {
		return
	}
	users := l.users(s.index, func(u *usage) bool { return u.usesTable(table) })
	if len(users) > 0 {
		l.add(s, RuleDropInUse, Error, table, pglock.AccessExclusive,
			fmt.Sprintf("DROP TABLE %s breaks %s, still running at this step.", table, list(users)),
			"drop the table only after every workload that uses it has stopped (stop_after an earlier step), in a later deploy.").Effect = EffectBreaks
	}
}

func dropColumn(l *linter, s *stepState, rel string, mode pglock.Mode, col string) {
	users := l.users(s.index, func(u *usage) bool { return u.usesColumn(rel, col) })
	if len(users) > 0 {
		l.add(s, RuleDropInUse, Error, rel, mode,
			fmt.Sprintf("DROP COLUMN %s.%s breaks %s, still running at this step.", rel, col, list(users)),
			"first deploy code that no longer reads or writes the column (and lists columns instead of SELECT *), then drop it in a later step, once the old code has stopped.").Effect = EffectBreaks
	}
}
