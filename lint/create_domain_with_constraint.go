package lint

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// checkDomainWithConstraint (style, off by default) flags CREATE DOMAIN
// with a CHECK: changing the constraint later scans every table that uses
// the domain.
func checkDomainWithConstraint(l *linter, s *stepState) {
	cd := s.node.GetCreateDomainStmt()
	if cd == nil {
		return
	}
	for _, cn := range cd.GetConstraints() {
		if cn.GetConstraint().GetContype() == pg_query.ConstrType_CONSTR_CHECK {
			var parts []string
			for _, n := range cd.GetDomainname() {
				parts = append(parts, n.GetString_().GetSval())
			}
			name := strings.Join(parts, ".")
			l.note(s, RuleDomainWithConstraint, Info, name, "domain "+name+" has a CHECK constraint: adding or changing one later checks every column of the domain in every table.",
				"put the CHECK on the table columns instead, where it can be added NOT VALID and validated per table.")
			return
		}
	}
}
