package lint

import "fmt"

// checkStatementTimeout (off by default) reports the first statement of a
// step that takes a write-blocking lock on an existing table while no
// statement_timeout is set: a scan or rewrite under that lock has no bound.
func checkStatementTimeout(l *linter, s *stepState) {
	lk := s.strongestStrong
	if lk == nil || s.statementTimeout || s.warnedStatementTimeout {
		return
	}
	s.warnedStatementTimeout = true
	l.add(s, RuleStatementTimeout, Info, lk.relation, lk.mode,
		fmt.Sprintf("this step takes %s lock on %s with no statement_timeout: however long the statement runs, %s stays locked.", lk.mode.Article(), lk.relation, lk.relation),
		"SET statement_timeout for the step (SET statement_timeout = '5min' at the top of the migration file).")
}
