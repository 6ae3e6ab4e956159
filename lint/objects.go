package lint

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/rehearse/rehearse/internal/pglock"
)

// objects follows what the catalog of package scenarios does not: which
// table each index belongs to, each table's primary key constraint and
// which tables are published for logical replication.
type objects struct {
	indexTable map[string]string // index → its table
	primaryKey map[string]string // table → name of its primary key constraint
	published  map[string]bool   // tables in a publication
	allTables  bool              // a publication FOR ALL TABLES exists
	// replicaIdentity marks tables whose replica identity was set
	// explicitly (USING INDEX, FULL): it no longer rests on the primary key.
	replicaIdentity map[string]bool
	// checks maps a table to its CHECK constraints by name: validated or not.
	checks map[string]map[string]bool
}

func newObjects() *objects {
	return &objects{indexTable: map[string]string{}, primaryKey: map[string]string{}, published: map[string]bool{},
		replicaIdentity: map[string]bool{}, checks: map[string]map[string]bool{}}
}

// track updates the objects after statement n.
func (o *objects) track(n *pg_query.Node) {
	switch st := n.GetNode().(type) {
	case *pg_query.Node_IndexStmt:
		if name := st.IndexStmt.GetIdxname(); name != "" {
			o.indexTable[qualify(st.IndexStmt.GetRelation().GetSchemaname(), name)] = relName(st.IndexStmt.GetRelation())
		}
	case *pg_query.Node_CreateStmt:
		table := relName(st.CreateStmt.GetRelation())
		for _, elt := range st.CreateStmt.GetTableElts() {
			cons := []*pg_query.Node{elt}
			if cd := elt.GetColumnDef(); cd != nil {
				cons = cd.GetConstraints()
			}
			for _, cn := range cons {
				o.constraint(table, cn.GetConstraint())
			}
		}
	case *pg_query.Node_AlterTableStmt:
		table := relName(st.AlterTableStmt.GetRelation())
		for _, c := range st.AlterTableStmt.GetCmds() {
			cmd := c.GetAlterTableCmd()
			for _, a := range addedConstraints(cmd) {
				o.constraint(table, a.c)
			}
			o.alterCmd(table, cmd)
		}
	case *pg_query.Node_CreatePublicationStmt:
		o.publication(st.CreatePublicationStmt.GetForAllTables(), st.CreatePublicationStmt.GetPubobjects())
	case *pg_query.Node_AlterPublicationStmt:
		o.publication(st.AlterPublicationStmt.GetForAllTables(), st.AlterPublicationStmt.GetPubobjects())
	}
}

func (o *objects) alterCmd(table string, cmd *pg_query.AlterTableCmd) {
	switch cmd.GetSubtype() {
	case pg_query.AlterTableType_AT_DropConstraint:
		if o.primaryKey[table] == cmd.GetName() {
			delete(o.primaryKey, table)
		}
		delete(o.checks[table], cmd.GetName())
	case pg_query.AlterTableType_AT_ReplicaIdentity:
		o.replicaIdentity[table] = true
	case pg_query.AlterTableType_AT_ValidateConstraint:
		if _, ok := o.checks[table][cmd.GetName()]; ok {
			o.checks[table][cmd.GetName()] = true
		}
	}
}

// hasValidatedCheck reports whether table has a validated CHECK constraint.
func (o *objects) hasValidatedCheck(table string) bool {
	for _, validated := range o.checks[table] {
		if validated {
			return true
		}
	}
	return false
}

// constraint records a PRIMARY KEY, under the name PostgreSQL gives an
// unnamed one (table_pkey), and the index of a named UNIQUE or PRIMARY KEY.
func (o *objects) constraint(table string, c *pg_query.Constraint) {
	switch c.GetContype() {
	case pg_query.ConstrType_CONSTR_PRIMARY:
		name := c.GetConname()
		if name == "" {
			name = unqualified(table) + "_pkey"
		}
		o.primaryKey[table] = name
		o.indexTable[name] = table
	case pg_query.ConstrType_CONSTR_UNIQUE:
		if c.GetConname() != "" {
			o.indexTable[c.GetConname()] = table
		}
	case pg_query.ConstrType_CONSTR_CHECK:
		if o.checks[table] == nil {
			o.checks[table] = map[string]bool{}
		}
		o.checks[table][c.GetConname()] = !c.GetSkipValidation()
	}
}

func (o *objects) publication(all bool, objs []*pg_query.Node) {
	o.allTables = o.allTables || all
	for _, ob := range objs {
		if t := ob.GetPublicationObjSpec().GetPubtable().GetRelation(); t != nil {
			o.published[relName(t)] = true
		}
	}
}

// isPublished reports whether table is in a publication seen so far.
func (o *objects) isPublished(table string) bool { return o.allTables || o.published[table] }

// onTables adds to a DROP INDEX's locks the lock it takes on each index's
// table, first, since that is the lock traffic waits for.
func (o *objects) onTables(locks []lockOn, n *pg_query.Node) []lockOn {
	ds := n.GetDropStmt()
	if ds == nil || ds.GetRemoveType() != pg_query.ObjectType_OBJECT_INDEX {
		return locks
	}
	var tables []lockOn
	for _, lk := range locks {
		if t, ok := o.indexTable[lk.relation]; ok {
			tables = append(tables, lockOn{relation: t, mode: lk.mode})
		}
	}
	return strongestPerRelation(append(tables, locks...))
}

func unqualified(name string) string {
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '.' {
			return name[i+1:]
		}
	}
	return name
}

// heldBy is a lock a background session holds on a table.
type heldBy struct {
	session  string
	relation string
	mode     pglock.Mode
}

// backgroundLocks predicts the locks each background session holds: those
// of its statement, or ACCESS SHARE on every table a query reads.
func backgroundLocks(bs []Background) []heldBy {
	var out []heldBy
	for _, b := range bs {
		n := parseOne(b.SQL)
		if n == nil {
			continue
		}
		locks := predictLocks(n)
		if len(locks) == 0 {
			if u, ok := parseUsage(Query{SQL: b.SQL}); ok {
				for t := range u.tables {
					locks = append(locks, lockOn{relation: t, mode: pglock.AccessShare})
				}
			}
		}
		for _, lk := range locks {
			out = append(out, heldBy{session: b.Name, relation: lk.relation, mode: lk.mode})
		}
	}
	return out
}
