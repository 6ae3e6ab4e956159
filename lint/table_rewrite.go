package lint

import (
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/rehearse/rehearse/internal/pglock"
)

// checkTableRewrite flags the commands whose purpose is to rewrite a table:
// VACUUM FULL, CLUSTER, and ALTER TABLE SET LOGGED / UNLOGGED / ACCESS
// METHOD / TABLESPACE. All of them hold ACCESS EXCLUSIVE for the rewrite.
func checkTableRewrite(l *linter, s *stepState) {
	for _, r := range rewriteTargets(s.node) {
		if s.created[r.rel] {
			continue
		}
		l.add(s, RuleTableRewrite, Error, r.rel, pglock.AccessExclusive,
			fmt.Sprintf("%s rewrites %s and its indexes under an ACCESS EXCLUSIVE lock: reads and writes wait for the whole rewrite.", r.what, r.rel),
			r.safe).Effect = EffectRewrite
	}
}

type rewriteTarget struct{ what, rel, safe string }

const repackSafe = "plain VACUUM does not block reads or writes; to give space back without blocking, use pg_repack or pg_squeeze."

func rewriteTargets(n *pg_query.Node) []rewriteTarget {
	var out []rewriteTarget
	if vs := n.GetVacuumStmt(); vs != nil && hasOption(vs.GetOptions(), "full") {
		for _, r := range vs.GetRels() {
			out = append(out, rewriteTarget{"VACUUM FULL", relName(r.GetVacuumRelation().GetRelation()), repackSafe})
		}
	}
	if cs := n.GetClusterStmt(); cs != nil && cs.GetRelation() != nil {
		out = append(out, rewriteTarget{"CLUSTER", relName(cs.GetRelation()), "pg_repack --order-by reorders a table without blocking; or leave the order to new rows."})
	}
	at := n.GetAlterTableStmt()
	for _, c := range at.GetCmds() {
		var what string
		switch c.GetAlterTableCmd().GetSubtype() {
		case pg_query.AlterTableType_AT_SetLogged:
			what = "SET LOGGED"
		case pg_query.AlterTableType_AT_SetUnLogged:
			what = "SET UNLOGGED"
		case pg_query.AlterTableType_AT_SetAccessMethod:
			what = "SET ACCESS METHOD"
		case pg_query.AlterTableType_AT_SetTableSpace:
			what = "SET TABLESPACE"
		default:
			continue
		}
		out = append(out, rewriteTarget{"ALTER TABLE ... " + what, relName(at.GetRelation()),
			"create a new table with the wanted property, copy the rows in batches while a trigger keeps it in sync, then swap the names."})
	}
	return out
}
