package lint

import (
	"fmt"

	"github.com/rehearse/rehearse/internal/pglock"
)

// checkDuplicateAssignment flags UPDATE ... SET naming one column twice,
// which PostgreSQL rejects (42601 multiple assignments to same column).
func checkDuplicateAssignment(l *linter, s *stepState) {
	us := s.node.GetUpdateStmt()
	if us == nil {
		return
	}
	seen := map[string]bool{}
	for _, t := range us.GetTargetList() {
		col := t.GetResTarget().GetName()
		if !seen[col] {
			seen[col] = true
			continue
		}
		rel := relName(us.GetRelation())
		f := l.add(s, RuleDuplicateAssignment, Error, rel, pglock.RowExclusive,
			fmt.Sprintf("UPDATE %s assigns %s twice: PostgreSQL rejects the statement (SQLSTATE 42601).", rel, col),
			fmt.Sprintf("assign %s once.", col))
		f.Effect, f.SQLState = EffectFails, "42601"
		return
	}
}
