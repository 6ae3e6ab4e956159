package lint

import (
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// checkDropNotNull flags ALTER COLUMN ... DROP NOT NULL: quick, but the
// running code may rely on the column never being NULL.
func checkDropNotNull(l *linter, s *stepState) {
	rel, mode, cmds, ok := s.alterTable()
	if !ok {
		return
	}
	for _, cmd := range cmds {
		if cmd.GetSubtype() != pg_query.AlterTableType_AT_DropNotNull {
			continue
		}
		l.add(s, RuleDropNotNull, Info, rel, mode,
			fmt.Sprintf("DROP NOT NULL on %s.%s lets NULLs in: code that still assumes a value (a Go string, a NOT NULL in a view or function) fails on the first one.", rel, cmd.GetName()),
			"make sure every running version of the code handles NULL before dropping the constraint, or keep it and use a marker value.")
	}
}
