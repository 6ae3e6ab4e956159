package lint

import (
	"fmt"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/rehearse/rehearse/internal/pglock"
)

// checkEnumAddValueInTx flags ALTER TYPE ... ADD VALUE inside a transaction
// when the target server is older than 12, which refuses it (from 12 it
// runs; the new value cannot be used before the commit).
func checkEnumAddValueInTx(l *linter, s *stepState) {
	ae := s.node.GetAlterEnumStmt()
	if ae == nil || ae.GetNewVal() == "" || ae.GetOldVal() != "" || !s.inTx || l.opts.atLeast(12) {
		return
	}
	typ := enumName(ae.GetTypeName())
	f := l.add(s, RuleEnumAddValueInTx, Error, typ, pglock.None,
		fmt.Sprintf("ALTER TYPE %s ADD VALUE cannot run inside a transaction block before PostgreSQL 12: the step fails with SQLSTATE 25001.", typ),
		"run it in a step of its own outside a transaction (transaction: false), or upgrade to PostgreSQL 12+.")
	f.Effect, f.SQLState = EffectFails, "25001"
}

func enumName(names []*pg_query.Node) string {
	var parts []string
	for _, n := range names {
		parts = append(parts, n.GetString_().GetSval())
	}
	return strings.Join(parts, ".")
}
