package verdict

import (
	"testing"

	"github.com/rehearse/rehearse/result"
)

func TestReplicationLagCheck(t *testing.T) {
	t.Parallel()
	lagging := &result.Replication{Standbys: 1, MaxReplayLagMS: 3400, MaxReplayLagPhase: "backfill", MaxLagBytes: 48 << 20}
	for _, tt := range []struct {
		name     string
		rep      *result.Replication
		pass     bool
		observed string
	}{
		{"over the limit", lagging, false, "3.40s in phase backfill (at most 48 MiB of WAL behind)"},
		{"within", &result.Replication{Standbys: 1, MaxReplayLagMS: 120, MaxReplayLagPhase: "expand", MaxLagBytes: 900}, true,
			"120ms in phase expand (at most 900 B of WAL behind)"},
		{"never behind", &result.Replication{Standbys: 1}, true, "0.00ms (at most 0 B of WAL behind)"},
		{"sampler lost", &result.Replication{Standbys: 1, MaxReplayLagMS: 10, Error: "conn closed"}, false,
			"10ms (at most 0 B of WAL behind); sampling stopped early: conn closed"},
		{"no standby", nil, false, "not measured: no standby was started"},
		{"standby never streamed", &result.Replication{}, false, "not measured: no standby was streaming"},
	} {
		c := replicationLagCheck(2000, tt.rep)
		if c.Name != "max_replication_lag" || c.Limit != "2.00s" || c.Pass != tt.pass || c.Observed != tt.observed {
			t.Errorf("%s: %+v, want pass %v observed %q", tt.name, c, tt.pass, tt.observed)
		}
	}
}
