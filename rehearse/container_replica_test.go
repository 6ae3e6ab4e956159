package rehearse_test

import (
	"context"
	"sort"
	"testing"

	"github.com/rehearse/rehearse/internal/testimage"
	"github.com/rehearse/rehearse/provider"
	"github.com/rehearse/rehearse/rehearse"
	"github.com/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
)

// TestReplicaLagIsRecordedInContainers is TestReplicaLagIsRecorded through
// the container provider: the standby is a second container, and the
// rehearsal records its lag and the WAL of each phase just the same.
func TestReplicaLagIsRecordedInContainers(t *testing.T) {
	img := testimage.Require(t)
	sc, err := scenarios.Parse([]byte(replicaScenario), "")
	if err != nil {
		t.Fatal(err)
	}
	p := &trackingContainer{p: provider.NewContainer(provider.WithImage(img))}
	res, err := rehearse.Run(context.Background(), sc, rehearse.WithProvider(p))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.instances) != 1 {
		t.Fatalf("the provider started %d instances, want 1", len(p.instances))
	}
	if left := p.instances[0].Leftovers(); len(left) > 0 {
		t.Errorf("left behind after Run: %v", left)
	}
	if res.Status != result.StatusCompleted || !res.Verdict.Pass || res.Postgres.Provider != "container" {
		t.Fatalf("status %s (%s), provider %q, verdict %+v", res.Status, res.Error, res.Postgres.Provider, res.Verdict)
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
	var check *result.Check
	for i, c := range res.Verdict.Checks {
		if c.Name == "max_replication_lag" {
			check = &res.Verdict.Checks[i]
		}
	}
	if check == nil {
		t.Fatal("the verdict has no max_replication_lag check")
	}

	t.Logf("PostgreSQL %s in containers, ready in %d ms; %s: observed %s, limit %s",
		res.Postgres.Version, res.Postgres.StartMS, check.Name, check.Observed, check.Limit)
	t.Logf("max lag %d bytes, max replay lag %.1f ms (in %s); %d samples every %.0f ms",
		rep.MaxLagBytes, rep.MaxReplayLagMS, rep.MaxReplayLagPhase, rep.Samples, rep.IntervalMS)
	phases := make([]string, 0, len(rep.WALBytesByPhase))
	for ph := range rep.WALBytesByPhase {
		phases = append(phases, ph)
	}
	sort.Strings(phases)
	for _, ph := range phases {
		t.Logf("WAL in %s: %d bytes", ph, rep.WALBytesByPhase[ph])
	}
	t.Logf("WAL in all: %d bytes", rep.WALBytes)
}
