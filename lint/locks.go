package lint

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/rehearse/rehearse/internal/pglock"
)

// lockOn is a lock a statement takes on one relation.
type lockOn struct {
	relation string
	mode     pglock.Mode
}

// predictLocks returns the table locks a statement takes, strongest per
// relation, from PostgreSQL's documentation of each command.
func predictLocks(n *pg_query.Node) []lockOn {
	var locks []lockOn
	switch st := n.GetNode().(type) {
	case *pg_query.Node_AlterTableStmt:
		locks = alterTableLocks(st.AlterTableStmt)
	case *pg_query.Node_RenameStmt:
		locks = renameLocks(st.RenameStmt)
	case *pg_query.Node_IndexStmt:
		locks = on(st.IndexStmt.GetRelation(), weakerIf(st.IndexStmt.GetConcurrent(), pglock.Share))
	case *pg_query.Node_DropStmt:
		locks = dropLocks(st.DropStmt)
	case *pg_query.Node_CreateTrigStmt:
		locks = on(st.CreateTrigStmt.GetRelation(), pglock.ShareRowExclusive)
	case *pg_query.Node_CreateStmt:
		locks = onAll(createReferences(st.CreateStmt), pglock.ShareRowExclusive)
	case *pg_query.Node_TruncateStmt:
		locks = onAll(rangeVars(st.TruncateStmt.GetRelations()), pglock.AccessExclusive)
	case *pg_query.Node_LockStmt:
		locks = onAll(rangeVars(st.LockStmt.GetRelations()), lockStmtMode(st.LockStmt))
	case *pg_query.Node_VacuumStmt:
		locks = vacuumLocks(st.VacuumStmt)
	case *pg_query.Node_ClusterStmt:
		locks = on(st.ClusterStmt.GetRelation(), pglock.AccessExclusive)
	case *pg_query.Node_RefreshMatViewStmt:
		mode := pglock.AccessExclusive
		if st.RefreshMatViewStmt.GetConcurrent() {
			mode = pglock.Exclusive
		}
		locks = on(st.RefreshMatViewStmt.GetRelation(), mode)
	case *pg_query.Node_ReindexStmt:
		concurrent := hasOption(st.ReindexStmt.GetParams(), "concurrently")
		locks = on(st.ReindexStmt.GetRelation(), weakerIf(concurrent, pglock.Share))
	case *pg_query.Node_UpdateStmt:
		locks = on(st.UpdateStmt.GetRelation(), pglock.RowExclusive)
	case *pg_query.Node_DeleteStmt:
		locks = on(st.DeleteStmt.GetRelation(), pglock.RowExclusive)
	case *pg_query.Node_InsertStmt:
		locks = on(st.InsertStmt.GetRelation(), pglock.RowExclusive)
	}
	return strongestPerRelation(locks)
}

// on is the lock mode m on rv; none for a missing relation or no lock.
func on(rv *pg_query.RangeVar, m pglock.Mode) []lockOn {
	if rv == nil || m == pglock.None {
		return nil
	}
	return []lockOn{{relation: relName(rv), mode: m}}
}

func onAll(rvs []*pg_query.RangeVar, m pglock.Mode) []lockOn {
	var out []lockOn
	for _, rv := range rvs {
		out = append(out, on(rv, m)...)
	}
	return out
}

func rangeVars(nodes []*pg_query.Node) []*pg_query.RangeVar {
	out := make([]*pg_query.RangeVar, 0, len(nodes))
	for _, n := range nodes {
		out = append(out, n.GetRangeVar())
	}
	return out
}

// weakerIf is SHARE UPDATE EXCLUSIVE for the CONCURRENTLY form of a
// command, whose plain form takes m.
func weakerIf(concurrently bool, m pglock.Mode) pglock.Mode {
	if concurrently {
		return pglock.ShareUpdateExclusive
	}
	return m
}

// alterTableLocks: the strongest of the subcommands' locks on the table,
// and SHARE ROW EXCLUSIVE on the tables new foreign keys point to.
func alterTableLocks(at *pg_query.AlterTableStmt) []lockOn {
	var locks []lockOn
	mode := pglock.None
	for _, c := range at.GetCmds() {
		cmd := c.GetAlterTableCmd()
		mode = max(mode, alterCmdLock(cmd))
		locks = append(locks, onAll(referencedTables(cmd), pglock.ShareRowExclusive)...)
	}
	locks = append(locks, on(at.GetRelation(), mode)...)
	return append(locks, attachedPartitions(at)...)
}

// attachedPartitions: ATTACH PARTITION takes ACCESS EXCLUSIVE on the table
// it attaches (the parent only SHARE UPDATE EXCLUSIVE, from PostgreSQL 12).
func attachedPartitions(at *pg_query.AlterTableStmt) []lockOn {
	var locks []lockOn
	for _, c := range at.GetCmds() {
		if cmd := c.GetAlterTableCmd(); cmd.GetSubtype() == pg_query.AlterTableType_AT_AttachPartition {
			locks = append(locks, on(cmd.GetDef().GetPartitionCmd().GetName(), pglock.AccessExclusive)...)
		}
	}
	return locks
}

// renameLocks: ALTER INDEX ... RENAME takes SHARE UPDATE EXCLUSIVE, every
// other rename ACCESS EXCLUSIVE.
func renameLocks(rs *pg_query.RenameStmt) []lockOn {
	mode := pglock.AccessExclusive
	if rs.GetRenameType() == pg_query.ObjectType_OBJECT_INDEX {
		mode = pglock.ShareUpdateExclusive
	}
	return on(rs.GetRelation(), mode)
}

// dropLocks: DROP TABLE, INDEX, VIEW and MATERIALIZED VIEW take ACCESS
// EXCLUSIVE on what they drop (DROP INDEX CONCURRENTLY: SHARE UPDATE
// EXCLUSIVE).
func dropLocks(ds *pg_query.DropStmt) []lockOn {
	switch ds.GetRemoveType() {
	case pg_query.ObjectType_OBJECT_TABLE, pg_query.ObjectType_OBJECT_INDEX, pg_query.ObjectType_OBJECT_MATVIEW,
		pg_query.ObjectType_OBJECT_VIEW:
	default:
		return nil
	}
	mode := weakerIf(ds.GetConcurrent(), pglock.AccessExclusive)
	var locks []lockOn
	for _, name := range dropNames(ds) {
		locks = append(locks, lockOn{relation: name, mode: mode})
	}
	return locks
}

// lockStmtMode is LOCK TABLE's mode: its numbers are pglock's.
func lockStmtMode(ls *pg_query.LockStmt) pglock.Mode {
	return pglock.Mode(min(max(int(ls.GetMode()), int(pglock.AccessShare)), int(pglock.AccessExclusive)))
}

// vacuumLocks: VACUUM takes SHARE UPDATE EXCLUSIVE, VACUUM FULL ACCESS
// EXCLUSIVE.
func vacuumLocks(vs *pg_query.VacuumStmt) []lockOn {
	mode := pglock.ShareUpdateExclusive
	if hasOption(vs.GetOptions(), "full") {
		mode = pglock.AccessExclusive
	}
	var locks []lockOn
	for _, r := range vs.GetRels() {
		locks = append(locks, on(r.GetVacuumRelation().GetRelation(), mode)...)
	}
	return locks
}

// alterCmdLock is the lock one ALTER TABLE subcommand takes on its table.
func alterCmdLock(cmd *pg_query.AlterTableCmd) pglock.Mode {
	switch cmd.GetSubtype() {
	case pg_query.AlterTableType_AT_DetachPartition:
		return weakerIf(cmd.GetDef().GetPartitionCmd().GetConcurrent(), pglock.AccessExclusive)
	case pg_query.AlterTableType_AT_AddConstraint:
		if cmd.GetDef().GetConstraint().GetContype() == pg_query.ConstrType_CONSTR_FOREIGN {
			return pglock.ShareRowExclusive
		}
	case pg_query.AlterTableType_AT_ValidateConstraint, pg_query.AlterTableType_AT_SetStatistics,
		pg_query.AlterTableType_AT_ClusterOn, pg_query.AlterTableType_AT_DropCluster,
		pg_query.AlterTableType_AT_SetRelOptions, pg_query.AlterTableType_AT_ResetRelOptions,
		pg_query.AlterTableType_AT_AttachPartition, pg_query.AlterTableType_AT_DetachPartitionFinalize:
		return pglock.ShareUpdateExclusive
	case pg_query.AlterTableType_AT_EnableTrig, pg_query.AlterTableType_AT_EnableAlwaysTrig,
		pg_query.AlterTableType_AT_EnableReplicaTrig, pg_query.AlterTableType_AT_DisableTrig,
		pg_query.AlterTableType_AT_EnableTrigAll, pg_query.AlterTableType_AT_DisableTrigAll,
		pg_query.AlterTableType_AT_EnableTrigUser, pg_query.AlterTableType_AT_DisableTrigUser:
		return pglock.ShareRowExclusive
	}
	return pglock.AccessExclusive
}

// referencedTables returns the tables a subcommand adds a foreign key to.
func referencedTables(cmd *pg_query.AlterTableCmd) []*pg_query.RangeVar {
	var out []*pg_query.RangeVar
	for _, a := range addedConstraints(cmd) {
		if a.c.GetContype() == pg_query.ConstrType_CONSTR_FOREIGN {
			out = append(out, a.c.GetPktable())
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

func lockFor(locks []lockOn, rel string) pglock.Mode {
	for _, lk := range locks {
		if lk.relation == rel {
			return lk.mode
		}
	}
	return pglock.None
}

// addedConstraint is a constraint an ALTER TABLE subcommand adds; col is
// set for one written on an added column.
type addedConstraint struct {
	c   *pg_query.Constraint
	col string
}

// addedConstraints returns the constraints of ADD CONSTRAINT and of the
// column definition of ADD COLUMN.
func addedConstraints(cmd *pg_query.AlterTableCmd) []addedConstraint {
	switch cmd.GetSubtype() {
	case pg_query.AlterTableType_AT_AddConstraint:
		if c := cmd.GetDef().GetConstraint(); c != nil {
			return []addedConstraint{{c: c}}
		}
	case pg_query.AlterTableType_AT_AddColumn:
		def := cmd.GetDef().GetColumnDef()
		var out []addedConstraint
		for _, cn := range def.GetConstraints() {
			if c := cn.GetConstraint(); c != nil {
				out = append(out, addedConstraint{c: c, col: def.GetColname()})
			}
		}
		return out
	}
	return nil
}
