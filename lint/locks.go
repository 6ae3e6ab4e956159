package lint

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// lockMode is a table lock mode, weakest first, as in PostgreSQL's
// "Explicit Locking" table; LOCK TABLE's mode numbers are the same.
type lockMode int

const (
	noLock lockMode = iota
	accessShare
	rowShare
	rowExclusive
	shareUpdateExclusive
	share
	shareRowExclusive
	exclusive
	accessExclusive
)

var lockNames = []string{"", "AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock",
	"ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"}

// String is the mode as pg_locks names it.
func (m lockMode) String() string { return lockNames[m] }

// words is the mode as messages say it ("ACCESS EXCLUSIVE").
func (m lockMode) words() string {
	name := strings.TrimSuffix(m.String(), "Lock")
	var b strings.Builder
	for i, r := range name {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}

// article is the mode's words with "a" or "an" ("an ACCESS EXCLUSIVE").
func (m lockMode) article() string {
	w := m.words()
	if strings.HasPrefix(w, "A") || strings.HasPrefix(w, "E") {
		return "an " + w
	}
	return "a " + w
}

// blocksWrites reports whether the mode conflicts with the ROW EXCLUSIVE lock
// of INSERT, UPDATE and DELETE: SHARE and stronger.
func (m lockMode) blocksWrites() bool { return m >= share }

// lockOn is a lock a statement takes on one relation.
type lockOn struct {
	relation string
	mode     lockMode
}

// predictLocks returns the table locks a statement takes, strongest per
// relation, from PostgreSQL's documentation of each command.
func predictLocks(n *pg_query.Node) []lockOn {
	var locks []lockOn
	add := func(rv *pg_query.RangeVar, m lockMode) {
		if rv != nil && m > noLock {
			locks = append(locks, lockOn{relation: relName(rv), mode: m})
		}
	}
	switch {
	case n.GetAlterTableStmt() != nil:
		at := n.GetAlterTableStmt()
		mode := noLock
		for _, c := range at.GetCmds() {
			cmd := c.GetAlterTableCmd()
			mode = max(mode, alterCmdLock(cmd))
			for _, rv := range referencedTables(cmd) {
				add(rv, shareRowExclusive)
			}
		}
		add(at.GetRelation(), mode)
	case n.GetRenameStmt() != nil:
		rs := n.GetRenameStmt()
		mode := accessExclusive
		if rs.GetRenameType() == pg_query.ObjectType_OBJECT_INDEX {
			mode = shareUpdateExclusive
		}
		add(rs.GetRelation(), mode)
	case n.GetIndexStmt() != nil:
		is := n.GetIndexStmt()
		mode := share
		if is.GetConcurrent() {
			mode = shareUpdateExclusive
		}
		add(is.GetRelation(), mode)
	case n.GetDropStmt() != nil:
		ds := n.GetDropStmt()
		mode := accessExclusive
		if ds.GetConcurrent() {
			mode = shareUpdateExclusive
		}
		switch ds.GetRemoveType() {
		case pg_query.ObjectType_OBJECT_TABLE, pg_query.ObjectType_OBJECT_INDEX, pg_query.ObjectType_OBJECT_MATVIEW,
			pg_query.ObjectType_OBJECT_VIEW:
			for _, name := range dropNames(ds) {
				locks = append(locks, lockOn{relation: name, mode: mode})
			}
		}
	case n.GetCreateTrigStmt() != nil:
		add(n.GetCreateTrigStmt().GetRelation(), shareRowExclusive)
	case n.GetCreateStmt() != nil:
		for _, rv := range createReferences(n.GetCreateStmt()) {
			add(rv, shareRowExclusive)
		}
	case n.GetTruncateStmt() != nil:
		for _, r := range n.GetTruncateStmt().GetRelations() {
			add(r.GetRangeVar(), accessExclusive)
		}
	case n.GetLockStmt() != nil:
		ls := n.GetLockStmt()
		for _, r := range ls.GetRelations() {
			add(r.GetRangeVar(), lockMode(min(max(int(ls.GetMode()), 1), int(accessExclusive))))
		}
	case n.GetVacuumStmt() != nil:
		vs := n.GetVacuumStmt()
		mode := shareUpdateExclusive
		if hasOption(vs.GetOptions(), "full") {
			mode = accessExclusive
		}
		for _, r := range vs.GetRels() {
			add(r.GetVacuumRelation().GetRelation(), mode)
		}
	case n.GetClusterStmt() != nil:
		add(n.GetClusterStmt().GetRelation(), accessExclusive)
	case n.GetRefreshMatViewStmt() != nil:
		mode := accessExclusive
		if n.GetRefreshMatViewStmt().GetConcurrent() {
			mode = exclusive
		}
		add(n.GetRefreshMatViewStmt().GetRelation(), mode)
	case n.GetReindexStmt() != nil:
		mode := share
		if hasOption(n.GetReindexStmt().GetParams(), "concurrently") {
			mode = shareUpdateExclusive
		}
		add(n.GetReindexStmt().GetRelation(), mode)
	case n.GetUpdateStmt() != nil:
		add(n.GetUpdateStmt().GetRelation(), rowExclusive)
	case n.GetDeleteStmt() != nil:
		add(n.GetDeleteStmt().GetRelation(), rowExclusive)
	case n.GetInsertStmt() != nil:
		add(n.GetInsertStmt().GetRelation(), rowExclusive)
	}
	return strongestPerRelation(locks)
}

// alterCmdLock is the lock one ALTER TABLE subcommand takes on its table.
func alterCmdLock(cmd *pg_query.AlterTableCmd) lockMode {
	switch cmd.GetSubtype() {
	case pg_query.AlterTableType_AT_AddConstraint:
		if cmd.GetDef().GetConstraint().GetContype() == pg_query.ConstrType_CONSTR_FOREIGN {
			return shareRowExclusive
		}
	case pg_query.AlterTableType_AT_ValidateConstraint, pg_query.AlterTableType_AT_SetStatistics,
		pg_query.AlterTableType_AT_ClusterOn, pg_query.AlterTableType_AT_DropCluster,
		pg_query.AlterTableType_AT_SetRelOptions, pg_query.AlterTableType_AT_ResetRelOptions,
		pg_query.AlterTableType_AT_AttachPartition, pg_query.AlterTableType_AT_DetachPartitionFinalize:
		return shareUpdateExclusive
	case pg_query.AlterTableType_AT_EnableTrig, pg_query.AlterTableType_AT_EnableAlwaysTrig,
		pg_query.AlterTableType_AT_EnableReplicaTrig, pg_query.AlterTableType_AT_DisableTrig,
		pg_query.AlterTableType_AT_EnableTrigAll, pg_query.AlterTableType_AT_DisableTrigAll,
		pg_query.AlterTableType_AT_EnableTrigUser, pg_query.AlterTableType_AT_DisableTrigUser:
		return shareRowExclusive
	}
	return accessExclusive
}

// referencedTables returns the tables a subcommand adds a foreign key to.
func referencedTables(cmd *pg_query.AlterTableCmd) []*pg_query.RangeVar {
	var out []*pg_query.RangeVar
	switch cmd.GetSubtype() {
	case pg_query.AlterTableType_AT_AddConstraint:
		if c := cmd.GetDef().GetConstraint(); c.GetContype() == pg_query.ConstrType_CONSTR_FOREIGN {
			out = append(out, c.GetPktable())
		}
	case pg_query.AlterTableType_AT_AddColumn:
		for _, cn := range cmd.GetDef().GetColumnDef().GetConstraints() {
			if c := cn.GetConstraint(); c.GetContype() == pg_query.ConstrType_CONSTR_FOREIGN {
				out = append(out, c.GetPktable())
			}
		}
	}
	return out
}

// createReferences returns the tables a new table's foreign keys point to.
func createReferences(cs *pg_query.CreateStmt) []*pg_query.RangeVar {
	var out []*pg_query.RangeVar
	for _, elt := range cs.GetTableElts() {
		cons := []*pg_query.Node{elt}
		if cd := elt.GetColumnDef(); cd != nil {
			cons = cd.GetConstraints()
		}
		for _, cn := range cons {
			if c := cn.GetConstraint(); c.GetContype() == pg_query.ConstrType_CONSTR_FOREIGN {
				out = append(out, c.GetPktable())
			}
		}
	}
	return out
}

func strongestPerRelation(locks []lockOn) []lockOn {
	var out []lockOn
	for _, l := range locks {
		merged := false
		for i := range out {
			if out[i].relation == l.relation {
				out[i].mode = max(out[i].mode, l.mode)
				merged = true
			}
		}
		if !merged {
			out = append(out, l)
		}
	}
	return out
}

// relName names a relation as pg_locks' regclass does for the public
// schema: "users", or "schema.table" elsewhere.
func relName(rv *pg_query.RangeVar) string {
	return qualify(rv.GetSchemaname(), rv.GetRelname())
}

func qualify(schema, rel string) string {
	if schema == "" || schema == "public" {
		return rel
	}
	return schema + "." + rel
}

// dropNames returns the names a DROP statement drops.
func dropNames(ds *pg_query.DropStmt) []string {
	var out []string
	for _, obj := range ds.GetObjects() {
		var parts []string
		for _, item := range obj.GetList().GetItems() {
			parts = append(parts, item.GetString_().GetSval())
		}
		switch len(parts) {
		case 1:
			out = append(out, parts[0])
		case 2:
			out = append(out, qualify(parts[0], parts[1]))
		case 3:
			out = append(out, qualify(parts[1], parts[2]))
		}
	}
	return out
}

func hasOption(opts []*pg_query.Node, name string) bool {
	for _, o := range opts {
		if strings.EqualFold(o.GetDefElem().GetDefname(), name) {
			return true
		}
	}
	return false
}
