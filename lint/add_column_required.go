package lint

import (
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// checkRequiredColumn flags ADD COLUMN ... NOT NULL (or PRIMARY KEY) with
// nothing to fill the existing rows: no default, identity, generation
// expression or serial.
func checkRequiredColumn(l *linter, s *stepState) {
	rel, mode, cmds, ok := s.alterTable()
	if !ok {
		return
	}
	for _, cmd := range cmds {
		if cmd.GetSubtype() != pg_query.AlterTableType_AT_AddColumn {
			continue
		}
		def := cmd.GetDef().GetColumnDef()
		if notNull, filled := columnFill(def); notNull && !filled {
			col := def.GetColname()
			f := l.add(s, RuleRequiredColumn, Error, rel, mode,
				fmt.Sprintf("ADD COLUMN %s ... NOT NULL without a default fails on %s as soon as it has a row: every existing row would be NULL.", col, rel),
				"add the column with a constant default (ADD COLUMN ... NOT NULL DEFAULT 'x' does not rewrite the table on PostgreSQL 11+), or add it nullable, backfill it in batches and then make it NOT NULL through a validated CHECK.")
			f.Effect, f.SQLState = EffectFails, "23502"
		}
	}
}

// columnFill reports whether a column definition is NOT NULL and whether
// something fills existing rows with a value.
func columnFill(def *pg_query.ColumnDef) (notNull, filled bool) {
	for _, cn := range def.GetConstraints() {
		switch cn.GetConstraint().GetContype() {
		case pg_query.ConstrType_CONSTR_DEFAULT, pg_query.ConstrType_CONSTR_IDENTITY, pg_query.ConstrType_CONSTR_GENERATED:
			filled = true
		case pg_query.ConstrType_CONSTR_NOTNULL, pg_query.ConstrType_CONSTR_PRIMARY:
			notNull = true
		}
	}
	return notNull, filled || serialType(def.GetTypeName())
}
