package verdict

import (
	"strings"
	"testing"

	"github.com/rehearse/rehearse/result"
)

func TestPoolWaitCheck(t *testing.T) {
	t.Parallel()
	stalled := result.Workload{Name: "old", Pool: 8, PoolWait: &result.PoolWait{Count: 10, P99MS: 900, MaxMS: 14_800,
		ByPhase: map[string]result.PhaseStats{"baseline": {MaxMS: 2}, "add_column": {MaxMS: 14_800}, "cooldown": {MaxMS: 40}}}}
	calm := result.Workload{Name: "new", Pool: 4, PoolWait: &result.PoolWait{Count: 10, MaxMS: 3, ByPhase: map[string]result.PhaseStats{"cooldown": {MaxMS: 3}}}}
	for _, tt := range []struct {
		name      string
		limitMS   float64
		workloads []result.Workload
		pass      bool
		observed  string
	}{
		{"within the limit", 500, []result.Workload{calm}, true, "3.00ms"},
		{"the worst workload fails", 500, []result.Workload{calm, stalled}, false,
			"14.80s (old workload, pool of 8, in phase add_column; p99 900ms over the run)"},
		{"at the limit passes", 14_800, []result.Workload{stalled}, true, "14.80s"},
		{"no traffic", 500, []result.Workload{{Name: "old"}}, true, "no requests ran"},
	} {
		c := poolWaitCheck(tt.limitMS, tt.workloads)
		if c.Name != "max_pool_wait" || c.Pass != tt.pass || c.Observed != tt.observed || !strings.HasSuffix(c.Limit, "s") {
			t.Errorf("%s: %+v, want pass %v observed %q", tt.name, c, tt.pass, tt.observed)
		}
	}
}
