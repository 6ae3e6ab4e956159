package lint

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// checkPreferRobustStmts (style, off by default) flags, in a step that
// runs outside a transaction, CREATE TABLE / INDEX without IF NOT EXISTS
// and DROP without IF EXISTS: if the step fails part way, running it again
// fails on the statements that had succeeded.
func checkPreferRobustStmts(l *linter, s *stepState) {
	if s.inTx {
		return
	}
	var what, rel string
	switch {
	case s.node.GetCreateStmt() != nil && !s.node.GetCreateStmt().GetIfNotExists():
		what, rel = "CREATE TABLE without IF NOT EXISTS", relName(s.node.GetCreateStmt().GetRelation())
	case s.node.GetIndexStmt() != nil && !s.node.GetIndexStmt().GetIfNotExists():
		what, rel = "CREATE INDEX without IF NOT EXISTS", relName(s.node.GetIndexStmt().GetRelation())
	case s.node.GetDropStmt() != nil && !s.node.GetDropStmt().GetMissingOk():
		what = "DROP without IF EXISTS"
		if names := dropNames(s.node.GetDropStmt()); len(names) > 0 {
			rel = names[0]
		}
	default:
		return
	}
	if s.node.GetDropStmt() != nil && s.node.GetDropStmt().GetRemoveType() == pg_query.ObjectType_OBJECT_DATABASE {
		return
	}
	l.note(s, RulePreferRobustStmts, Info, rel,
		what+" outside a transaction: if the step fails after it, running the step again fails here.",
		"add IF NOT EXISTS / IF EXISTS (a failed CREATE INDEX CONCURRENTLY leaves an invalid index: drop it first).")
}
