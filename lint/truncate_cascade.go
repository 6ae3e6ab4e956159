package lint

import (
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/rehearse/rehearse/internal/pglock"
)

// checkTruncateCascade flags TRUNCATE ... CASCADE, which also empties every
// table with a foreign key to the truncated ones, and the tables that
// reference those, without naming them.
func checkTruncateCascade(l *linter, s *stepState) {
	ts := s.node.GetTruncateStmt()
	if ts == nil || ts.GetBehavior() != pg_query.DropBehavior_DROP_CASCADE {
		return
	}
	for _, r := range ts.GetRelations() {
		rel := relName(r.GetRangeVar())
		l.add(s, RuleTruncateCascade, Error, rel, pglock.AccessExclusive,
			fmt.Sprintf("TRUNCATE %s CASCADE also empties every table that references %s, and the tables that reference those, holding ACCESS EXCLUSIVE on all of them.", rel, rel),
			"TRUNCATE the tables by name (without CASCADE: it fails if another table references one), or delete the rows in batches.")
	}
}
