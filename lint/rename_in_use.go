package lint

import (
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/rehearse/rehearse/internal/pglock"
)

// checkRenameInUse flags renames of tables and columns the running code
// still uses; without known queries, every rename is a warning.
func checkRenameInUse(l *linter, s *stepState) {
	rs := s.node.GetRenameStmt()
	if rs == nil || rs.GetRelation() == nil {
		return
	}
	rel := relName(rs.GetRelation())
	if s.created[rel] {
		return
	}
	var what, safe string
	var users []string
	switch rs.GetRenameType() {
	case pg_query.ObjectType_OBJECT_COLUMN:
		col := rs.GetSubname()
		what = fmt.Sprintf("renaming column %s.%s to %s", rel, col, rs.GetNewname())
		users = l.users(s.index, func(u *usage) bool { return u.usesColumn(rel, col) })
		safe = fmt.Sprintf("expand/contract: add column %s, keep both in sync with a trigger, backfill, switch the code to %s, and drop %s only once no running code uses it.", rs.GetNewname(), rs.GetNewname(), col)
	case pg_query.ObjectType_OBJECT_TABLE:
		what = fmt.Sprintf("renaming table %s to %s", rel, rs.GetNewname())
		users = l.users(s.index, func(u *usage) bool { return u.usesTable(rel) })
		safe = fmt.Sprintf("rename the table and create a view named %s over it (simple views are updatable) until no running code uses the old name.", rel)
	default:
		return
	}
	switch {
	case !l.opts.haveQueries:
		l.add(s, RuleRenameInUse, Warning, rel, pglock.AccessExclusive,
			fmt.Sprintf("%s breaks every running query that still uses the old name: old and new code cannot both work.", what), safe).Effect = EffectBreaks
	case len(users) > 0:
		l.add(s, RuleRenameInUse, Error, rel, pglock.AccessExclusive,
			fmt.Sprintf("%s breaks %s, still running at this step.", what, list(users)), safe).Effect = EffectBreaks
	}
}
