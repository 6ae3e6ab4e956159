package lint

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// checkUncommittedTx flags, at the step's last statement, a BEGIN the step
// never commits or rolls back: the migration's session stays in the open
// transaction, holding its locks, until the runner gives up on it.
func checkUncommittedTx(l *linter, s *stepState) {
	if !s.last || s.begin == nil {
		return
	}
	if ts := s.node.GetTransactionStmt(); ts != nil && (ts.GetKind() == pg_query.TransactionStmtKind_TRANS_STMT_COMMIT ||
		ts.GetKind() == pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK) {
		return
	}
	l.note(s, RuleUncommittedTx, Error, "",
		"the step's BEGIN is never followed by COMMIT: the transaction, and every lock it took, stays open after the step, and its changes are lost if the session ends.",
		"end the step with COMMIT.")
}
