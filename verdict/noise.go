package verdict

import (
	"fmt"
	"strings"

	"github.com/rehearse/rehearse/result"
)

// MaxStarvedShare is the share of the migration's time the harness may be
// starved before the run is invalid: beyond it the latency figures measure
// the client, not the migration.
const MaxStarvedShare = 0.10

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

// StarvedShare is the share of the migration's time (its step phases, at
// 100 ms resolution) that fell in starved harness seconds.
func StarvedShare(h *result.Harness, phases []result.Phase) float64 {
	if h == nil {
		return 0
	}
	starved := map[int64]bool{}
	for _, s := range h.Seconds {
		if s.Starved {
			starved[s.TS] = true
		}
	}
	total, hit := 0, 0
	for _, p := range phases {
		if !result.IsStepPhase(p.Name) {
			continue
		}
		for t := p.StartMS; t < p.EndMS; t += 100 {
			total++
			if starved[t/1000] {
				hit++
			}
		}
	}
	if total == 0 {
		return 0
	}
	return float64(hit) / float64(total)
}

// latencyCheck reports whether a check measures traffic latency, which
// harness time inflates (as opposed to locks, errors or schema breaks).
func latencyCheck(name string) bool {
	return strings.HasPrefix(name, "p99_regression[") || name == "max_pool_wait"
}

// invalidReason says why a judged run cannot stand as a FAIL, "" when it
// can: the harness was starved for more than MaxStarvedShare of the
// migration, or the only failing checks are latency checks and every stall
// during the migration was the harness's.
func invalidReason(res *result.Result, checks []result.Check) string {
	if share := StarvedShare(res.Harness, res.Phases); share > MaxStarvedShare {
		return fmt.Sprintf("the load generator was starved for %.0f%% of the migration (limit %.0f%%): its latency figures measure the client, not the migration",
			share*100, MaxStarvedShare*100)
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
