package autoscenario

import (
	"maps"
	"slices"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/rehearse/rehearse/internal/pgsql"
)

// facts are what the schema SQL says about tables beyond their columns
// (which scenarios.Catalog reads): keys, references, indexes, CHECKs and
// enum types. They are read without a database, from the statements as
// written, and only guide the inferred traffic: datagen reads the live
// catalog for the data itself.
type facts struct {
	tables map[string]*tableFacts
	// enums maps an enum type's name (as written, schema-qualified when it
	// was) to its labels.
	enums map[string][]string
}

// tableFacts are one table's constraints and indexes.
type tableFacts struct {
	uniques [][]string // UNIQUE constraints and unique indexes, primary key excluded
	fks     []fk
	indexed [][]string // column lists of non-unique indexes
	checked map[string]bool
}

// fk is a foreign key of a table: cols reference parent(parentCols).
type fk struct {
	cols       []string
	parent     string
	parentCols []string
	// onDelete is the parser's action letter: a (no action), r (restrict),
	// c (cascade), n (set null), d (set default).
	onDelete string
}

func newFacts() *facts { return &facts{tables: map[string]*tableFacts{}, enums: map[string][]string{}} }

func (f *facts) table(name string) *tableFacts {
	t := f.tables[name]
	if t == nil {
		t = &tableFacts{checked: map[string]bool{}}
		f.tables[name] = t
	}
	return t
}

// apply reads the statements of sql; a text that does not parse is left
// out (validation reports it with its position).
func (f *facts) apply(sql string) {
	tree, err := pgsql.Parse(sql)
	if err != nil {
		return
	}
	for _, raw := range tree.GetStmts() {
		n := raw.GetStmt()
		switch {
		case n.GetCreateStmt() != nil:
			f.createTable(n.GetCreateStmt())
		case n.GetAlterTableStmt() != nil:
			f.alterTable(n.GetAlterTableStmt())
		case n.GetIndexStmt() != nil:
			f.index(n.GetIndexStmt())
		case n.GetCreateEnumStmt() != nil:
			e := n.GetCreateEnumStmt()
			f.enums[strings.Join(stringList(e.GetTypeName()), ".")] = stringList(e.GetVals())
		case n.GetRenameStmt() != nil:
			f.rename(n.GetRenameStmt())
		}
	}
}

func (f *facts) createTable(cs *pg_query.CreateStmt) {
	name := relName(cs.GetRelation())
	t := f.table(name)
	for _, elt := range cs.GetTableElts() {
		switch {
		case elt.GetColumnDef() != nil:
			cd := elt.GetColumnDef()
			for _, c := range cd.GetConstraints() {
				t.constraint(c.GetConstraint(), cd.GetColname())
			}
		case elt.GetConstraint() != nil:
			t.constraint(elt.GetConstraint(), "")
		}
	}
}

func (f *facts) alterTable(as *pg_query.AlterTableStmt) {
	t := f.table(relName(as.GetRelation()))
	for _, c := range as.GetCmds() {
		cmd := c.GetAlterTableCmd()
		switch {
		case cmd == nil:
		case cmd.GetSubtype() == pg_query.AlterTableType_AT_AddConstraint:
			t.constraint(cmd.GetDef().GetConstraint(), "")
		case cmd.GetSubtype() == pg_query.AlterTableType_AT_AddColumn:
			cd := cmd.GetDef().GetColumnDef()
			for _, c := range cd.GetConstraints() {
				t.constraint(c.GetConstraint(), cd.GetColname())
			}
		}
	}
}

// constraint records a table constraint, or a column constraint of col.
func (t *tableFacts) constraint(con *pg_query.Constraint, col string) {
	if con == nil {
		return
	}
	cols := stringList(con.GetKeys())
	if len(cols) == 0 && col != "" {
		cols = []string{col}
	}
	switch con.GetContype() {
	case pg_query.ConstrType_CONSTR_UNIQUE:
		t.uniques = append(t.uniques, cols)
	case pg_query.ConstrType_CONSTR_FOREIGN:
		fkCols := stringList(con.GetFkAttrs())
		if len(fkCols) == 0 && col != "" {
			fkCols = []string{col}
		}
		t.fks = append(t.fks, fk{cols: fkCols, parent: relName(con.GetPktable()),
			parentCols: stringList(con.GetPkAttrs()), onDelete: con.GetFkDelAction()})
	case pg_query.ConstrType_CONSTR_CHECK:
		if col != "" {
			t.checked[col] = true
		}
		pgsql.Walk(con.GetRawExpr().ProtoReflect(), func(m protoreflect.Message) {
			if cr, ok := m.Interface().(*pg_query.ColumnRef); ok {
				if names := stringList(cr.GetFields()); len(names) > 0 {
					t.checked[names[len(names)-1]] = true
				}
			}
		})
	}
}

func (f *facts) index(is *pg_query.IndexStmt) {
	t := f.table(relName(is.GetRelation()))
	var cols []string
	for _, p := range is.GetIndexParams() {
		name := p.GetIndexElem().GetName()
		if name == "" {
			break // an expression: the columns before it still lead the index
		}
		cols = append(cols, name)
	}
	if len(cols) == 0 || is.GetWhereClause() != nil {
		return
	}
	if is.GetUnique() {
		t.uniques = append(t.uniques, cols)
		return
	}
	t.indexed = append(t.indexed, cols)
}

func (f *facts) rename(rs *pg_query.RenameStmt) {
	if rs.GetRenameType() != pg_query.ObjectType_OBJECT_TABLE || rs.GetRelation() == nil {
		return
	}
	old := relName(rs.GetRelation())
	if t, ok := f.tables[old]; ok {
		delete(f.tables, old)
		f.tables[qualify(rs.GetRelation().GetSchemaname(), rs.GetNewname())] = t
	}
}

// childFK is a foreign key of child that points at another table.
type childFK struct {
	child string
	fk    fk
}

// references lists the foreign keys of tables that point at table.
func (f *facts) references(table string) []childFK {
	var out []childFK
	for _, name := range slices.Sorted(maps.Keys(f.tables)) {
		for _, k := range f.tables[name].fks {
			if k.parent == table {
				out = append(out, childFK{name, k})
			}
		}
	}
	return out
}

func relName(rv *pg_query.RangeVar) string {
	if rv == nil {
		return ""
	}
	return qualify(rv.GetSchemaname(), rv.GetRelname())
}

// qualify names a table as scenarios.Catalog keys it: bare in public.
func qualify(schema, rel string) string {
	if schema == "" || schema == "public" {
		return rel
	}
	return schema + "." + rel
}

func stringList(nodes []*pg_query.Node) []string {
	var out []string
	for _, n := range nodes {
		switch {
		case n.GetString_() != nil:
			out = append(out, n.GetString_().GetSval())
		case n.GetIndexElem() != nil:
			out = append(out, n.GetIndexElem().GetName())
		}
	}
	return out
}
