package lint

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// notNullChecks follows the CHECK (col IS NOT NULL) constraints of each
// table: with a validated one, SET NOT NULL skips its scan (PostgreSQL 12+).
type notNullChecks struct {
	// byTable maps a table to its NOT NULL checks by constraint name.
	byTable map[string]map[string]*notNullCheck
}

type notNullCheck struct {
	column    string
	validated bool
}

func newNotNullChecks() *notNullChecks {
	return &notNullChecks{byTable: map[string]map[string]*notNullCheck{}}
}

// validated reports whether table has a validated CHECK (col IS NOT NULL).
func (c *notNullChecks) validated(table, col string) bool {
	for _, ch := range c.byTable[table] {
		if ch.column == col && ch.validated {
			return true
		}
	}
	return false
}

// track updates the checks after statement n.
func (c *notNullChecks) track(n *pg_query.Node) {
	switch {
	case n.GetCreateStmt() != nil:
		cs := n.GetCreateStmt()
		table := relName(cs.GetRelation())
		for _, elt := range cs.GetTableElts() {
			if cd := elt.GetColumnDef(); cd != nil {
				for _, cn := range cd.GetConstraints() {
					c.add(table, cn.GetConstraint(), true)
				}
				continue
			}
			c.add(table, elt.GetConstraint(), true)
		}
	case n.GetAlterTableStmt() != nil:
		at := n.GetAlterTableStmt()
		table := relName(at.GetRelation())
		for _, cn := range at.GetCmds() {
			cmd := cn.GetAlterTableCmd()
			switch cmd.GetSubtype() {
			case pg_query.AlterTableType_AT_AddConstraint:
				con := cmd.GetDef().GetConstraint()
				c.add(table, con, !con.GetSkipValidation())
			case pg_query.AlterTableType_AT_ValidateConstraint:
				if ch := c.byTable[table][cmd.GetName()]; ch != nil {
					ch.validated = true
				}
			case pg_query.AlterTableType_AT_DropConstraint:
				delete(c.byTable[table], cmd.GetName())
			}
		}
	case n.GetRenameStmt() != nil && n.GetRenameStmt().GetRenameType() == pg_query.ObjectType_OBJECT_TABLE:
		rs := n.GetRenameStmt()
		from := relName(rs.GetRelation())
		c.byTable[qualify(rs.GetRelation().GetSchemaname(), rs.GetNewname())] = c.byTable[from]
		delete(c.byTable, from)
	}
}

// add records con when it is CHECK (col IS NOT NULL). An unnamed one gets
// the name PostgreSQL gives it, table_col_check, so that a later VALIDATE
// CONSTRAINT finds it.
func (c *notNullChecks) add(table string, con *pg_query.Constraint, validated bool) {
	if con.GetContype() != pg_query.ConstrType_CONSTR_CHECK {
		return
	}
	nt := con.GetRawExpr().GetNullTest()
	if nt == nil || nt.GetNulltesttype() != pg_query.NullTestType_IS_NOT_NULL {
		return
	}
	fields := nt.GetArg().GetColumnRef().GetFields()
	if len(fields) == 0 {
		return
	}
	col := fields[len(fields)-1].GetString_().GetSval()
	name := con.GetConname()
	if name == "" {
		name = table + "_" + col + "_check"
	}
	if c.byTable[table] == nil {
		c.byTable[table] = map[string]*notNullCheck{}
	}
	c.byTable[table][name] = &notNullCheck{column: col, validated: validated}
}
