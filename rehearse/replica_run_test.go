package rehearse_test

import (
	"context"
	"testing"

	"github.com/rehearse/rehearse/rehearse"
	"github.com/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
)

// replicaScenario backfills a table in batches with a standby attached: the
// backfill's WAL must show in its phase, and the standby's lag in the result.
const replicaScenario = `name: backfill with a standby
postgres: {replica: true}
schema:
  sql: CREATE TABLE accounts (id bigserial PRIMARY KEY, n int NOT NULL, m bigint)
data:
  tables:
    accounts: {rows: 20000, columns: {n: {gen: number, min: 1, max: 100}}}
traffic:
  old:
    rate: 20
    connections: 2
    queries:
      - {name: get, sql: "SELECT n FROM accounts WHERE id = $1", args: [{ref: accounts.id}]}
migration:
  steps:
    - name: backfill
      batch:
        table: accounts
        key: id
        size: 5000
        sql: "UPDATE accounts SET m = n WHERE id >= $1 AND id < $2"
        throttle: {max_replication_lag: 10s}
phases: {baseline: 1s, cooldown: 1s}
thresholds: {max_replication_lag: 30s}
`

func TestReplicaLagIsRecorded(t *testing.T) {
	sc, err := scenarios.Parse([]byte(replicaScenario), "")
	if err != nil {
		t.Fatal(err)
	}
	p := &trackingLocal{}
	res, err := rehearse.Run(context.Background(), sc, rehearse.WithProvider(p))
	if err != nil {
		t.Fatal(err)
	}
	p.assertNothingLeft(t)
	if res.Status != result.StatusCompleted || !res.Verdict.Pass {
		t.Fatalf("status %s (%s), verdict %+v", res.Status, res.Error, res.Verdict)
	}
	rep := res.Replication
	if rep == nil || rep.Standbys != 1 || rep.Error != "" {
		t.Fatalf("replication = %+v, want one standby sampled without error", rep)
	}
	// 20,000 updated rows write well over 1 MB of WAL in the backfill phase.
	if rep.WALBytesByPhase["backfill"] < 1<<20 || rep.WALBytes < rep.WALBytesByPhase["backfill"] {
		t.Errorf("WAL %d bytes in all, by phase %v: want the backfill's MBs", rep.WALBytes, rep.WALBytesByPhase)
	}
	if len(rep.Timeline) == 0 || rep.Timeline[len(rep.Timeline)-1].TS < 2 {
		t.Errorf("lag timeline %v: want a point per second of the rehearsal", rep.Timeline)
	}
	var checked bool
	for _, c := range res.Verdict.Checks {
		checked = checked || c.Name == "max_replication_lag"
	}
	if !checked {
		t.Error("the verdict has no max_replication_lag check")
	}
}
