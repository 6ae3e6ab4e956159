package lint

import "testing"

func TestPartitionAttachScan(t *testing.T) {
	runRuleCasesWith(t, RuleAttachScan, []Option{WithSchema(partitionSchema)}, []ruleCase{
		{"attach an existing table", []step{{sql: "ALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')"}}, nil, Warning, true},
		{"attach a table of this step", []step{{sql: "CREATE TABLE events_2026 (id bigint, at date); ALTER TABLE events ATTACH PARTITION events_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')"}}, nil, 0, false},
	})
	f := Steps(buildSteps([]step{{sql: "ALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')"}}), WithSchema(partitionSchema))
	if len(f) == 0 || f[0].Relation != "events_2025" || f[0].Lock != "AccessExclusiveLock" {
		t.Errorf("findings %v, want ACCESS EXCLUSIVE on the attached table first", f)
	}
}
