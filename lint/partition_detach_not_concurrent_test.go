package lint

import "testing"

const partitionSchema = `CREATE TABLE events (id bigint, at date) PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_2025 (id bigint, at date);`

func TestPartitionDetachNotConcurrent(t *testing.T) {
	schema := WithSchema(partitionSchema)
	runRuleCasesWith(t, RuleDetachNotConcurrent, []Option{schema}, []ruleCase{
		{"detach", []step{{sql: "ALTER TABLE events DETACH PARTITION events_2024"}}, nil, Error, true},
		{"detach concurrently", []step{{sql: "ALTER TABLE events DETACH PARTITION events_2024 CONCURRENTLY", noTx: true}}, nil, 0, false},
	})
	runRuleCasesWith(t, RuleDetachNotConcurrent, []Option{schema, WithVersion(13)}, []ruleCase{
		{"detach on 13: no CONCURRENTLY there", []step{{sql: "ALTER TABLE events DETACH PARTITION events_2024"}}, nil, Warning, true},
	})
}
