package verdict

import (
	"fmt"
	"slices"
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

// invalidReason says why a judged run cannot stand, "" when it can:
// harness stalls cover more than MaxHarnessShare of the migration, or every
// failing check is a latency check that harness time explains.
func invalidReason(res *result.Result, checks []result.Check, limit float64) string {
	if share := HarnessShare(res); share > MaxHarnessShare {
		return fmt.Sprintf("harness stalls (the load generator starved) cover %.0f%% of the migration (limit %.0f%%): its latency figures measure the client, not the migration",
			share*100, MaxHarnessShare*100)
	}
	var failed []string
	for _, c := range checks {
		if c.Pass {
			continue
		}
		if !harnessExplains(res, c.Name, limit) {
			return ""
		}
		failed = append(failed, c.Name)
	}
	if len(failed) == 0 {
		return ""
	}
	return fmt.Sprintf("%s failed only because of harness time: the requests the starved client sent late are enough to fail it, and no stall of the migration's own went past the limit",
		strings.Join(failed, ", "))
}

// harnessExplains reports whether a failed check is explained by harness
// time alone. p99_regression[w]: the requests of w slowed by harness stalls
// during the migration are at least 1% of its migration requests (enough to
// move the p99 by themselves), and no other stall of w during the migration
// had a request slower than the regression limit allows. max_pool_wait: every
// stall during the migration was the harness's. Any other check: no.
func harnessExplains(res *result.Result, check string, limit float64) bool {
	if check == "max_pool_wait" {
		harness := 0
		for _, s := range res.Stalls {
			if !result.IsStepPhase(s.Phase) {
				continue
			}
			if s.Cause != result.CauseHarness {
				return false
			}
			harness++
		}
		return harness > 0
	}
	name, ok := strings.CutPrefix(check, "p99_regression[")
	if !ok || limit <= 0 {
		return false
	}
	name = strings.TrimSuffix(name, "]")
	var w *result.Workload
	for i := range res.Workloads {
		if res.Workloads[i].Name == name {
			w = &res.Workloads[i]
		}
	}
	if w == nil || w.Migration.Count == 0 {
		return false
	}
	allowedMS := limit * w.ByPhase[result.PhaseBaseline].P99MS
	var harnessRequests int64
	for _, s := range res.Stalls {
		if !result.IsStepPhase(s.Phase) || !slices.Contains(s.Workloads, name) {
			continue
		}
		if s.Cause == result.CauseHarness {
			harnessRequests += s.Requests
		} else if s.MaxLatencyMS > allowedMS {
			return false
		}
	}
	return float64(harnessRequests) >= 0.01*float64(w.Migration.Count)
}
