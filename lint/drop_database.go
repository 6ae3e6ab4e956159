package lint

import "fmt"

// checkDropDatabase flags DROP DATABASE: nothing a migration should do.
func checkDropDatabase(l *linter, s *stepState) {
	dd := s.node.GetDropdbStmt()
	if dd == nil {
		return
	}
	f := l.note(s, RuleDropDatabase, Error, dd.GetDbname(),
		fmt.Sprintf("DROP DATABASE %s destroys the database and everything in it, and cannot be undone.", dd.GetDbname()),
		"leave dropping databases to a person, out of migrations.")
	if s.inTx {
		f.Effect, f.SQLState = EffectFails, "25001"
	}
}
