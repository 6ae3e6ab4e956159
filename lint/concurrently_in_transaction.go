package lint

import (
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/rehearse/rehearse/internal/pglock"
)

// checkConcurrentlyInTx flags the commands PostgreSQL refuses inside a
// transaction block: CREATE INDEX, DROP INDEX, REINDEX and DETACH
// PARTITION ... CONCURRENTLY, and VACUUM.
func checkConcurrentlyInTx(l *linter, s *stepState) {
	if !s.inTx {
		return
	}
	what, rel := concurrentCommand(s.node)
	if what == "" {
		return
	}
	f := l.add(s, RuleConcurrentlyInTx, Error, rel, pglock.None,
		fmt.Sprintf("%s cannot run inside a transaction block: the step fails with SQLSTATE 25001 before doing anything.", what),
		"run it in a step of its own outside a transaction (transaction: false; goose: -- +goose NO TRANSACTION; golang-migrate: a file with only this statement).")
	f.Effect, f.SQLState = EffectFails, "25001"
}

// concurrentCommand names the CONCURRENTLY command n is, and its relation;
// "" when it is none.
func concurrentCommand(n *pg_query.Node) (what, rel string) {
	switch {
	case n.GetIndexStmt().GetConcurrent():
		return "CREATE INDEX CONCURRENTLY", relName(n.GetIndexStmt().GetRelation())
	case n.GetDropStmt().GetConcurrent():
		names := dropNames(n.GetDropStmt())
		if len(names) > 0 {
			rel = names[0]
		}
		return "DROP INDEX CONCURRENTLY", rel
	case n.GetReindexStmt() != nil && hasOption(n.GetReindexStmt().GetParams(), "concurrently"):
		return "REINDEX CONCURRENTLY", relName(n.GetReindexStmt().GetRelation())
	case n.GetVacuumStmt().GetIsVacuumcmd():
		if rels := n.GetVacuumStmt().GetRels(); len(rels) > 0 {
			rel = relName(rels[0].GetVacuumRelation().GetRelation())
		}
		return "VACUUM", rel
	}
	if at := n.GetAlterTableStmt(); at != nil {
		for _, c := range at.GetCmds() {
			if cmd := c.GetAlterTableCmd(); cmd.GetSubtype() == pg_query.AlterTableType_AT_DetachPartition &&
				cmd.GetDef().GetPartitionCmd().GetConcurrent() {
				return "DETACH PARTITION CONCURRENTLY", relName(at.GetRelation())
			}
		}
	}
	return "", ""
}
