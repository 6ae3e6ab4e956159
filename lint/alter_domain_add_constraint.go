package lint

import (
	"fmt"
	"strings"

	"github.com/rehearse/rehearse/internal/pglock"
)

// checkDomainConstraint flags ALTER DOMAIN ... ADD CONSTRAINT without NOT
// VALID: PostgreSQL checks every column of the domain in every table,
// holding SHARE (writes blocked) on each. The finding names the first
// table the linter knows to use the domain.
func checkDomainConstraint(l *linter, s *stepState) {
	ad := s.node.GetAlterDomainStmt()
	if ad == nil || ad.GetSubtype() != "C" || ad.GetDef().GetConstraint().GetSkipValidation() {
		return
	}
	var parts []string
	for _, n := range ad.GetTypeName() {
		parts = append(parts, n.GetString_().GetSval())
	}
	domain := strings.Join(parts, ".")
	rel, mode := domain, pglock.None
	if t := l.tableUsingType(domain); t != "" {
		rel, mode = t, pglock.Share
	}
	l.add(s, RuleDomainConstraint, Error, rel, mode,
		fmt.Sprintf("ALTER DOMAIN %s ADD CONSTRAINT checks every existing value of the domain in every table that uses it, holding a SHARE lock on each: writes to them wait for the scans.", domain),
		fmt.Sprintf("ALTER DOMAIN %s ADD CONSTRAINT ... NOT VALID: new values are checked at once, old ones are not scanned. Unlike a table's, a domain's VALIDATE CONSTRAINT holds SHARE on each table while it scans (measured): validate it when writes can wait, or put the CHECK on the table columns, where NOT VALID and VALIDATE do not block writes.", domain)).Effect = EffectScan
}

// tableUsingType returns the first table (by name) with a column of type
// typ, from the catalog; "" when none is known.
func (l *linter) tableUsingType(typ string) string {
	for _, name := range l.cat.TableNames() {
		t := l.cat.Table(name)
		for _, c := range t.ColumnNames() {
			if col := t.Column(c); col != nil && strings.EqualFold(col.Type, typ) {
				return name
			}
		}
	}
	return ""
}
