package lint

import (
	"fmt"

	"github.com/rehearse/rehearse/internal/pglock"
)

// checkRefreshMatview flags REFRESH MATERIALIZED VIEW without
// CONCURRENTLY: it rebuilds the view under ACCESS EXCLUSIVE.
func checkRefreshMatview(l *linter, s *stepState) {
	rm := s.node.GetRefreshMatViewStmt()
	if rm == nil || rm.GetConcurrent() {
		return
	}
	rel := relName(rm.GetRelation())
	if s.created[rel] {
		return
	}
	l.add(s, RuleRefreshMatview, Error, rel, pglock.AccessExclusive,
		fmt.Sprintf("REFRESH MATERIALIZED VIEW %s rebuilds it under an ACCESS EXCLUSIVE lock: every read of %s waits for the whole refresh.", rel, rel),
		fmt.Sprintf("create a unique index on %s, then REFRESH MATERIALIZED VIEW CONCURRENTLY %s: readers keep reading the old contents (it takes EXCLUSIVE, which allows reads).", rel, rel)).Effect = EffectRewrite
}
