package lint

import (
	"fmt"
	"sort"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// rename reports renames of tables and columns the running code still uses.
func (l *linter) rename(s *stepState, rs *pg_query.RenameStmt) {
	rel := relName(rs.GetRelation())
	if rs.GetRelation() == nil || s.created[rel] {
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
		l.add(s, RuleRenameInUse, Warning, rel, accessExclusive,
			fmt.Sprintf("%s breaks every running query that still uses the old name: old and new code cannot both work.", what), safe)
	case len(users) > 0:
		l.add(s, RuleRenameInUse, Error, rel, accessExclusive,
			fmt.Sprintf("%s breaks %s, still running at this step.", what, list(users)), safe)
	}
}

func (l *linter) dropTable(s *stepState, table string) {
	if s.created[table] {
		return
	}
	users := l.users(s.index, func(u *usage) bool { return u.usesTable(table) })
	if len(users) > 0 {
		l.add(s, RuleDropInUse, Error, table, accessExclusive,
			fmt.Sprintf("DROP TABLE %s breaks %s, still running at this step.", table, list(users)),
			"drop the table only after every workload that uses it has stopped (stop_after an earlier step), in a later deploy.")
	}
}

func (l *linter) dropColumn(s *stepState, rel string, mode lockMode, col string) {
	users := l.users(s.index, func(u *usage) bool { return u.usesColumn(rel, col) })
	if len(users) > 0 {
		l.add(s, RuleDropInUse, Error, rel, mode,
			fmt.Sprintf("DROP COLUMN %s.%s breaks %s, still running at this step.", rel, col, list(users)),
			"first deploy code that no longer reads or writes the column (and lists columns instead of SELECT *), then drop it in a later step, once the old code has stopped.")
	}
}

// users names the queries that still run at step i and match.
func (l *linter) users(i int, match func(*usage) bool) []string {
	var out []string
	for _, u := range l.queries {
		if u.runsAfter(i) && match(u) {
			out = append(out, u.Workload+" query "+u.Name)
		}
	}
	sort.Strings(out)
	return out
}

func list(names []string) string {
	if len(names) > 3 {
		return strings.Join(names[:3], ", ") + fmt.Sprintf(" and %d more", len(names)-3)
	}
	return strings.Join(names, ", ")
}
