package lint

import (
	"fmt"

	"github.com/rehearse/rehearse/internal/pglock"
)

// checkIndexNotConcurrent flags CREATE INDEX and REINDEX without
// CONCURRENTLY on a table that existed before the step.
func checkIndexNotConcurrent(l *linter, s *stepState) {
	if is := s.node.GetIndexStmt(); is != nil {
		rel := relName(is.GetRelation())
		if !is.GetConcurrent() && !s.created[rel] {
			l.add(s, RuleIndexNotConcurrent, Error, rel, pglock.Share,
				fmt.Sprintf("CREATE INDEX without CONCURRENTLY holds a SHARE lock on %s for the whole build: every INSERT, UPDATE and DELETE on it waits until the index is built.", rel),
				"CREATE INDEX CONCURRENTLY, outside a transaction (a step with transaction: false; goose: -- +goose NO TRANSACTION; golang-migrate: a file of its own).").Effect = EffectScan
		}
	}
	if rs := s.node.GetReindexStmt(); rs != nil && !hasOption(rs.GetParams(), "concurrently") && rs.GetRelation() != nil {
		rel := relName(rs.GetRelation())
		sev, safe := Error, "REINDEX ... CONCURRENTLY (PostgreSQL 12+), outside a transaction."
		if !l.opts.atLeast(12) {
			sev, safe = Warning, "before PostgreSQL 12 there is no REINDEX CONCURRENTLY: CREATE INDEX CONCURRENTLY a copy, then DROP INDEX CONCURRENTLY the old one and rename the copy."
		}
		l.add(s, RuleIndexNotConcurrent, sev, rel, pglock.Share,
			fmt.Sprintf("REINDEX without CONCURRENTLY blocks writes to %s (and reads that use the index) until it is done.", rel), safe)
	}
}
