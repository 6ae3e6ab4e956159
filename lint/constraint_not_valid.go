package lint

import (
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/rehearse/rehearse/internal/pglock"
)

// checkConstraintNotValid flags FOREIGN KEY and CHECK constraints added
// to an existing table without NOT VALID, as ADD CONSTRAINT or on an
// added column.
func checkConstraintNotValid(l *linter, s *stepState) {
	rel, mode, cmds, ok := s.alterTable()
	if !ok {
		return
	}
	for _, cmd := range cmds {
		for _, a := range addedConstraints(cmd) {
			if a.c.GetSkipValidation() {
				continue
			}
			switch a.c.GetContype() {
			case pg_query.ConstrType_CONSTR_FOREIGN:
				ref := relName(a.c.GetPktable())
				l.add(s, RuleConstraintNotValid, Error, rel, pglock.ShareRowExclusive,
					fmt.Sprintf("a FOREIGN KEY from %s to %s is checked against every existing row while both tables are locked SHARE ROW EXCLUSIVE: writes to %s and %s wait for the check.", rel, ref, rel, ref),
					fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID (new rows are checked at once); then, in another transaction, ALTER TABLE %s VALIDATE CONSTRAINT ..., which does not block writes.", rel, rel)).Effect = EffectScan
			case pg_query.ConstrType_CONSTR_CHECK:
				l.add(s, RuleConstraintNotValid, Error, rel, mode,
					fmt.Sprintf("ADD CONSTRAINT CHECK on %s scans every existing row while holding an ACCESS EXCLUSIVE lock: reads and writes wait for the scan.", rel),
					fmt.Sprintf("ADD CONSTRAINT ... CHECK (...) NOT VALID; then, in another transaction, ALTER TABLE %s VALIDATE CONSTRAINT ..., which does not block reads or writes.", rel)).Effect = EffectScan
			}
		}
	}
}
