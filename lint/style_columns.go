package lint

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// newColumn is a column a statement defines: in CREATE TABLE or ADD COLUMN.
type newColumn struct {
	table string
	def   *pg_query.ColumnDef
}

// newColumns returns the columns CREATE TABLE and ALTER TABLE ... ADD
// COLUMN define, for the style rules about column types.
func newColumns(n *pg_query.Node) []newColumn {
	var out []newColumn
	if cs := n.GetCreateStmt(); cs != nil {
		for _, elt := range cs.GetTableElts() {
			if cd := elt.GetColumnDef(); cd != nil {
				out = append(out, newColumn{relName(cs.GetRelation()), cd})
			}
		}
	}
	if at := n.GetAlterTableStmt(); at != nil {
		for _, c := range at.GetCmds() {
			if cmd := c.GetAlterTableCmd(); cmd.GetSubtype() == pg_query.AlterTableType_AT_AddColumn {
				out = append(out, newColumn{relName(at.GetRelation()), cmd.GetDef().GetColumnDef()})
			}
		}
	}
	return out
}

// baseType is a column's type name without schema or modifiers: "int4",
// "varchar", "serial", "timestamp".
func baseType(def *pg_query.ColumnDef) string {
	names := def.GetTypeName().GetNames()
	if len(names) == 0 {
		return ""
	}
	return names[len(names)-1].GetString_().GetSval()
}

// styleColumns reports each new column whose base type is a key of types
// (the value spells the type for the message), with the safe form safe.
func styleColumns(l *linter, s *stepState, rule string, types map[string]string, safe string) {
	for _, c := range newColumns(s.node) {
		if spelled, ok := types[baseType(c.def)]; ok {
			l.note(s, rule, Info, c.table, c.table+"."+c.def.GetColname()+" is "+spelled+".", safe)
		}
	}
}
