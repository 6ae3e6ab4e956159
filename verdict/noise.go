package verdict

import (
	"fmt"
	"strings"

	"github.com/rehearse/rehearse/result"
)

// MaxHarnessShare is the share of the migration's time harness stalls may
// cover before the run is invalid: beyond it the latency figures measure the
// client, not the migration.
const MaxHarnessShare = 0.10

// noiseOf is a workload's baseline noise measured by the run, nil when none.
func noiseOf(res *result.Result, workload string) *result.Noise {
	for i := range res.Noise {
		if res.Noise[i].Workload == workload {
			return &res.Noise[i]
		}
	}
	return nil
}

// withinNoise applies the baseline's own window-to-window spread to a
// p99_regression check: a regression must exceed both the limit and the
// spread, and the check says the noise it measured.
func withinNoise(c result.Check, ratio float64, n *result.Noise) result.Check {
	if n == nil || len(n.Windows) == 0 {
		return c
	}
	c.Observed += fmt.Sprintf("; baseline noise %.2fx (max/min p99 of %d windows)", n.Spread, len(n.Windows))
	if !c.Pass && ratio <= n.Spread {
		c.Pass = true
		c.Observed += ": the regression is within the baseline's own spread"
	}
	return c
}

// HarnessShare is the share of the migration's time (its step phases)
// covered by stalls whose cause is the harness.
func HarnessShare(res *result.Result) float64 {
	var total, covered float64
	for _, p := range res.Phases {
		if !result.IsStepPhase(p.Name) || p.EndMS <= p.StartMS {
			continue
		}
		total += float64(p.EndMS - p.StartMS)
		for _, s := range res.Stalls {
			if s.Cause != result.CauseHarness {
				continue
			}
			from, to := max(float64(s.StartMS), float64(p.StartMS)), min(float64(s.StartMS)+s.LengthMS, float64(p.EndMS))
			covered += max(to-from, 0)
		}
	}
	if total == 0 {
		return 0
	}
	return covered / total
}

// latencyCheck reports whether a check measures traffic latency, which
// harness time inflates (as opposed to locks, errors or schema breaks).
func latencyCheck(name string) bool {
	return strings.HasPrefix(name, "p99_regression[") || name == "max_pool_wait"
}

// invalidReason says why a judged run cannot stand, "" when it can:
// harness stalls cover more than MaxHarnessShare of the migration, or the only failing checks are latency checks and every stall
// during the migration was the harness's.
func invalidReason(res *result.Result, checks []result.Check) string {
	if share := HarnessShare(res); share > MaxHarnessShare {
		return fmt.Sprintf("harness stalls (the load generator starved) cover %.0f%% of the migration (limit %.0f%%): its latency figures measure the client, not the migration",
			share*100, MaxHarnessShare*100)
	}
	var failed []string
	for _, c := range checks {
		if c.Pass {
			continue
		}
		if !latencyCheck(c.Name) {
			return ""
		}
		failed = append(failed, c.Name)
	}
	if len(failed) == 0 {
		return ""
	}
	harness := 0
	for _, s := range res.Stalls {
		if !result.IsStepPhase(s.Phase) {
			continue
		}
		if s.Cause != result.CauseHarness {
			return ""
		}
		harness++
	}
	if harness == 0 {
		return ""
	}
	return fmt.Sprintf("%s failed only in harness time: every stall during the migration (%d) was the client's own", strings.Join(failed, ", "), harness)
}
