package lint

import (
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/rehearse/rehearse/internal/pglock"
)

// checkVolatileDefault flags ADD COLUMN whose value must be computed for
// every existing row: a volatile default, identity, stored generated or
// serial. A default of a function it does not know is info.
func checkVolatileDefault(l *linter, s *stepState) {
	rel, mode, cmds, ok := s.alterTable()
	if !ok {
		return
	}
	for _, cmd := range cmds {
		if cmd.GetSubtype() != pg_query.AlterTableType_AT_AddColumn {
			continue
		}
		def := cmd.GetDef().GetColumnDef()
		col := def.GetColname()
		for _, cn := range def.GetConstraints() {
			switch c := cn.GetConstraint(); c.GetContype() {
			case pg_query.ConstrType_CONSTR_DEFAULT:
				if !l.opts.atLeast(11) && !isNullConst(c.GetRawExpr()) {
					rewritingColumn(l, s, rel, mode, col, "a column with a default (before PostgreSQL 11 every default is written into every row)")
					continue
				}
				volatileDefault(l, s, rel, mode, col, c.GetRawExpr())
			case pg_query.ConstrType_CONSTR_IDENTITY:
				rewritingColumn(l, s, rel, mode, col, "an identity column")
			case pg_query.ConstrType_CONSTR_GENERATED:
				rewritingColumn(l, s, rel, mode, col, "a stored generated column")
			}
		}
		if serialType(def.GetTypeName()) {
			rewritingColumn(l, s, rel, mode, col, "a serial column (its default, nextval(), is volatile)")
		}
	}
}

func volatileDefault(l *linter, s *stepState, rel string, mode pglock.Mode, col string, expr *pg_query.Node) {
	v, fn := volatility(expr)
	switch v {
	case volatile:
		l.add(s, RuleVolatileDefault, Error, rel, mode,
			fmt.Sprintf("ADD COLUMN %s with the volatile default %s() rewrites every row of %s under an ACCESS EXCLUSIVE lock: reads and writes wait for the whole rewrite.", col, fn, rel),
			"add the column without a default (or with a constant one), SET DEFAULT for new rows, backfill existing rows in batches, then add NOT NULL through a validated CHECK if needed.").Effect = EffectRewrite
	case unknown:
		l.add(s, RuleVolatileDefault, Info, rel, mode,
			fmt.Sprintf("ADD COLUMN %s with a default that calls %s(): if that function is volatile, %s is rewritten under an ACCESS EXCLUSIVE lock (a stable or immutable default is stored once, without a rewrite).", col, fn, rel),
			"make sure the function is STABLE or IMMUTABLE, or add the column without a default and backfill it in batches.").Effect = EffectRewrite
	}
}

func rewritingColumn(l *linter, s *stepState, rel string, mode pglock.Mode, col, what string) {
	l.add(s, RuleVolatileDefault, Error, rel, mode,
		fmt.Sprintf("ADD COLUMN %s as %s fills every existing row, rewriting %s under an ACCESS EXCLUSIVE lock: reads and writes wait for the whole rewrite.", col, what, rel),
		"add a plain nullable column, set its default for new rows, backfill existing rows in batches.").Effect = EffectRewrite
}

// isNullConst reports a DEFAULT NULL, which never rewrites.
func isNullConst(n *pg_query.Node) bool { return n.GetAConst().GetIsnull() }

func serialType(tn *pg_query.TypeName) bool {
	names := tn.GetNames()
	if len(names) == 0 {
		return false
	}
	switch names[len(names)-1].GetString_().GetSval() {
	case "serial", "serial4", "bigserial", "serial8", "smallserial", "serial2":
		return true
	}
	return false
}
