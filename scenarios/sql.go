package scenarios

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/rehearse/rehearse/internal/pgsql"
)

// Statement is one SQL statement of a larger text (a migration file, a step).
type Statement = pgsql.Statement

// SQLError is a PostgreSQL parser error in a SQL text of the scenario.
type SQLError = pgsql.SQLError

// noTransactionReason says why a statement cannot run inside a transaction
// block, or "" when it can.
func noTransactionReason(n *pg_query.Node) string {
	switch {
	case n.GetIndexStmt().GetConcurrent():
		return "CREATE INDEX CONCURRENTLY"
	case n.GetDropStmt().GetConcurrent():
		return "DROP INDEX CONCURRENTLY"
	case n.GetReindexStmt() != nil && hasOption(n.GetReindexStmt().GetParams(), "concurrently"):
		return "REINDEX CONCURRENTLY"
	case n.GetVacuumStmt().GetIsVacuumcmd():
		// ANALYZE parses as a VacuumStmt too, but runs in a transaction.
		return "VACUUM"
	case n.GetCreatedbStmt() != nil:
		return "CREATE DATABASE"
	case n.GetDropdbStmt() != nil:
		return "DROP DATABASE"
	case n.GetAlterSystemStmt() != nil:
		return "ALTER SYSTEM"
	case detachesConcurrently(n.GetAlterTableStmt()):
		return "DETACH PARTITION CONCURRENTLY"
	}
	return ""
}

func detachesConcurrently(alter *pg_query.AlterTableStmt) bool {
	for _, c := range alter.GetCmds() {
		if cmd := c.GetAlterTableCmd(); cmd.GetSubtype() == pg_query.AlterTableType_AT_DetachPartition && cmd.GetDef().GetPartitionCmd().GetConcurrent() {
			return true
		}
	}
	return false
}

func hasOption(opts []*pg_query.Node, name string) bool {
	for _, o := range opts {
		if strings.EqualFold(o.GetDefElem().GetDefname(), name) {
			return true
		}
	}
	return false
}
