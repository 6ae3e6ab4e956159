package lint

import (
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/rehearse/rehearse/internal/pglock"
)

// checkAttachScan flags ATTACH PARTITION of a table that existed before the
// step: PostgreSQL scans it to check the partition bound, holding ACCESS
// EXCLUSIVE on it, unless a validated CHECK constraint implies the bound.
// Whether one does the linter cannot tell: with a validated CHECK on the
// table it says so as info.
func checkAttachScan(l *linter, s *stepState) {
	rel, _, cmds, ok := s.alterTable()
	if !ok {
		return
	}
	for _, cmd := range cmds {
		if cmd.GetSubtype() != pg_query.AlterTableType_AT_AttachPartition {
			continue
		}
		part := relName(cmd.GetDef().GetPartitionCmd().GetName())
		if s.created[part] {
			continue
		}
		parent := "SHARE UPDATE EXCLUSIVE"
		if !l.opts.atLeast(12) {
			parent = "ACCESS EXCLUSIVE"
		}
		if l.objects.hasValidatedCheck(part) {
			l.add(s, RuleAttachScan, Info, part, pglock.AccessExclusive,
				fmt.Sprintf("ATTACH PARTITION %s skips its scan if a validated CHECK constraint of %s implies the partition bound; if none does, it scans all of %s under ACCESS EXCLUSIVE.", part, part, part),
				"make sure the CHECK implies the bound, including IS NOT NULL on the partition key.")
			continue
		}
		l.add(s, RuleAttachScan, Warning, part, pglock.AccessExclusive,
			fmt.Sprintf("ATTACH PARTITION %s scans all of %s to check its rows fit the partition bound, holding an ACCESS EXCLUSIVE lock on it (and %s on %s).", part, part, parent, rel),
			fmt.Sprintf("first ALTER TABLE %s ADD CONSTRAINT ... CHECK (<the bound>) NOT VALID and VALIDATE CONSTRAINT it (no write-blocking lock); ATTACH PARTITION then skips the scan, and the CHECK can be dropped.", part)).Effect = EffectScan
	}
}
