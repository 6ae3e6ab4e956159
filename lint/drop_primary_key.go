package lint

import (
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/rehearse/rehearse/internal/pglock"
)

// checkDropPrimaryKey flags ALTER TABLE ... DROP CONSTRAINT of a table's
// primary key, unless its replica identity was set to something else. The default replica identity is the primary key: without
// it, UPDATE and DELETE on a table in a publication fail (55000) and
// logical replicas cannot apply changes. An error when the table is known
// to be published, a warning otherwise.
func checkDropPrimaryKey(l *linter, s *stepState) {
	rel, mode, cmds, ok := s.alterTable()
	if !ok {
		return
	}
	for _, cmd := range cmds {
		if cmd.GetSubtype() != pg_query.AlterTableType_AT_DropConstraint || l.objects.primaryKey[rel] != cmd.GetName() ||
			l.objects.replicaIdentity[rel] {
			continue
		}
		sev, msg := Warning, fmt.Sprintf("dropping %s, the primary key of %s, leaves it without replica identity: if %s is in a publication, every UPDATE and DELETE on it fails with SQLSTATE 55000, and logical replicas stop receiving them.", cmd.GetName(), rel, rel)
		if l.objects.isPublished(rel) {
			sev = Error
			msg = fmt.Sprintf("dropping %s, the primary key of %s, leaves it without replica identity: %s is published, so every UPDATE and DELETE on it fails with SQLSTATE 55000.", cmd.GetName(), rel, rel)
		}
		l.add(s, RuleDropPrimaryKey, sev, rel, max(mode, pglock.AccessExclusive), msg,
			fmt.Sprintf("add the new key first (CREATE UNIQUE INDEX CONCURRENTLY, then ALTER TABLE %s REPLICA IDENTITY USING INDEX ... or ADD PRIMARY KEY USING INDEX ...), then drop the old one.", rel)).Effect = EffectBreaks
	}
}
