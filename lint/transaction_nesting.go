package lint

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// checkTransactionNesting flags BEGIN inside a transaction, and COMMIT or
// ROLLBACK in a step the runner wraps in its own transaction: PostgreSQL
// ignores the nested BEGIN with a warning, and the COMMIT ends the
// runner's transaction early, so what follows runs outside it.
func checkTransactionNesting(l *linter, s *stepState) {
	ts := s.node.GetTransactionStmt()
	if ts == nil {
		return
	}
	switch ts.GetKind() {
	case pg_query.TransactionStmtKind_TRANS_STMT_BEGIN, pg_query.TransactionStmtKind_TRANS_STMT_START:
		if s.inTx {
			l.note(s, RuleTransactionNesting, Warning, "",
				"BEGIN inside a transaction does nothing (PostgreSQL warns: there is already a transaction in progress); a later COMMIT then ends the outer transaction, and the statements after it run outside any.",
				"leave transaction control to the runner (transaction: true is the default), or set transaction: false and write BEGIN and COMMIT yourself.")
		}
	case pg_query.TransactionStmtKind_TRANS_STMT_COMMIT, pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK:
		if s.step.InTransaction() {
			l.note(s, RuleTransactionNesting, Warning, "",
				"COMMIT or ROLLBACK in a step that runs in a transaction ends the runner's transaction early: the statements after it run outside any transaction, and a failure no longer rolls the whole step back.",
				"remove it, or set transaction: false and write BEGIN and COMMIT yourself.")
		}
	}
}
