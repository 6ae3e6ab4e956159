package lint

import (
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// slowRules are the rules whose statements scan, rewrite or build an index
// on a table that has rows.
var slowRules = map[string]bool{
	RuleIndexNotConcurrent: true, RuleAlterColumnType: true, RuleSetNotNull: true,
	RuleConstraintNotValid: true, RuleVolatileDefault: true, RuleUniqueConstraint: true,
}

// checkStrongLockHeld reports a transaction that, holding a write-blocking
// lock, goes on to slow work or to lock another table; then remembers the
// statement's own strong lock as the one the transaction holds.
func checkStrongLockHeld(l *linter, s *stepState) {
	if !s.inTx {
		return
	}
	if h := s.held; h != nil && !s.warnedHeld {
		if why := heldLockWhy(s, h, l.statementIsSlow(s)); why != "" {
			s.warnedHeld = true
			l.add(s, RuleStrongLockHeld, Warning, h.relation, h.mode,
				fmt.Sprintf("%s has been locked %s since line %d of this transaction; this statement %s, so every query on %s waits for it as well.",
					h.relation, h.mode.Words(), h.line, why, h.relation),
				"commit right after the statement that takes the strong lock: put backfills, index builds, validation and changes to other tables in steps (migration files) of their own.").Effect = EffectHeld
		}
	}
	if s.held == nil && s.strongestStrong != nil {
		s.held = &heldLock{lockOn: *s.strongestStrong, line: s.pos.Line}
	}
}

// heldLockWhy says why the statement prolongs the held lock: it waits for a
// strong lock on another table, or it does slow work; "" when neither.
func heldLockWhy(s *stepState, h *heldLock, slow bool) string {
	for _, lk := range s.locks {
		if lk.relation != h.relation && !s.created[lk.relation] && lk.mode.BlocksWrites() {
			return fmt.Sprintf("needs %s lock on %s, and waits for it while %s stays locked", lk.mode.Article(), lk.relation, h.relation)
		}
	}
	if slow {
		return "does slow work (it scans, rewrites or updates a table)"
	}
	return ""
}

// statementIsSlow reports whether the statement's time grows with a
// table's rows: DML on an existing table, or an error of a slow rule.
func (l *linter) statementIsSlow(s *stepState) bool {
	if target := slowDMLTarget(s.node); target != "" && !s.created[target] {
		return true
	}
	for _, f := range l.findings[s.first:] {
		if slowRules[f.Rule] && f.Severity == Error {
			return true
		}
	}
	return false
}

// slowDMLTarget returns the table of an UPDATE, DELETE or INSERT ... SELECT,
// whose time grows with the rows they touch; "" for other statements.
func slowDMLTarget(n *pg_query.Node) string {
	switch {
	case n.GetUpdateStmt() != nil:
		return relName(n.GetUpdateStmt().GetRelation())
	case n.GetDeleteStmt() != nil:
		return relName(n.GetDeleteStmt().GetRelation())
	case n.GetInsertStmt() != nil && len(n.GetInsertStmt().GetSelectStmt().GetSelectStmt().GetFromClause()) > 0:
		return relName(n.GetInsertStmt().GetRelation())
	}
	return ""
}
