package lint

import (
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// checkUniqueConstraint flags UNIQUE and PRIMARY KEY constraints that
// build their index under the ALTER TABLE's lock (not USING INDEX).
func checkUniqueConstraint(l *linter, s *stepState) {
	rel, mode, cmds, ok := s.alterTable()
	if !ok {
		return
	}
	for _, cmd := range cmds {
		for _, a := range addedConstraints(cmd) {
			c := a.c
			if (c.GetContype() != pg_query.ConstrType_CONSTR_UNIQUE && c.GetContype() != pg_query.ConstrType_CONSTR_PRIMARY) ||
				c.GetIndexname() != "" { // USING INDEX: the index was built beforehand
				continue
			}
			kind := "UNIQUE"
			if c.GetContype() == pg_query.ConstrType_CONSTR_PRIMARY {
				kind = "PRIMARY KEY"
			}
			at := rel
			if a.col != "" {
				at = rel + "." + a.col
			}
			l.add(s, RuleUniqueConstraint, Error, rel, mode,
				fmt.Sprintf("adding a %s constraint on %s builds its index while holding an ACCESS EXCLUSIVE lock: reads and writes of %s wait for the whole build.", kind, at, rel),
				fmt.Sprintf("CREATE UNIQUE INDEX CONCURRENTLY (outside a transaction); then ALTER TABLE %s ADD CONSTRAINT ... %s USING INDEX ..., which only takes the lock briefly.", rel, kind)).Effect = EffectScan
		}
	}
}
