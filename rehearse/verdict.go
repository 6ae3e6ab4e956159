package rehearse

import (
	"fmt"
	"sort"
	"strings"

	"github.com/rehearse/rehearse/rehearse/lockmon"
	"github.com/rehearse/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
)

// Judge compares a completed rehearsal's measurements with the scenario's
// thresholds. Every step must succeed; a threshold the scenario does not set
// is not checked. It reads only its arguments.
func Judge(sc *scenarios.Scenario, res *result.Result) result.Verdict {
	checks := []result.Check{stepsCheck(sc, res.Steps)}
	th := sc.Thresholds
	if th.MaxLockWait != nil {
		checks = append(checks, lockWaitCheck(th.MaxLockWait.D().Seconds()*1000, res.LockWaits))
	}
	if th.P99Regression != nil {
		for _, w := range res.Workloads {
			checks = append(checks, p99Check(*th.P99Regression, w))
		}
	}
	for _, w := range res.Workloads {
		if limit, ok := th.MaxErrorRate[w.Name]; ok {
			checks = append(checks, errorRateCheck(limit, w))
		}
	}
	if th.MaxDuration != nil {
		checks = append(checks, durationCheck(th.MaxDuration.D().Seconds()*1000, res.Steps))
	}
	v := result.Verdict{Pass: true, Reasons: []string{}, Checks: checks}
	for _, c := range checks {
		if !c.Pass {
			v.Pass = false
			v.Reasons = append(v.Reasons, fmt.Sprintf("%s: observed %s, limit %s", c.Name, c.Observed, c.Limit))
		}
	}
	return v
}

func stepsCheck(sc *scenarios.Scenario, steps []result.Step) result.Check {
	c := result.Check{Name: "migration", Limit: "every step succeeds", Pass: true,
		Observed: fmt.Sprintf("%d of %d steps succeeded", countOK(steps), len(sc.Migration.Steps))}
	for _, s := range steps {
		if s.Error != "" {
			c.Pass = false
			c.Observed = fmt.Sprintf("step %s failed: %s", s.Name, stepErrorText(s))
			return c
		}
	}
	if len(steps) < len(sc.Migration.Steps) {
		c.Pass = false
	}
	return c
}

func countOK(steps []result.Step) int {
	n := 0
	for _, s := range steps {
		if s.Error == "" {
			n++
		}
	}
	return n
}

func lockWaitCheck(limitMS float64, waits result.LockWaits) result.Check {
	c := result.Check{Name: "max_lock_wait", Limit: result.FormatMS(limitMS), Observed: result.FormatMS(waits.MaxMS), Pass: waits.MaxMS <= limitMS}
	if worst, ok := worstTrafficWait(waits.Events); ok && !c.Pass {
		c.Observed += fmt.Sprintf(" (%s query %s waited on %s for %s, blocked by: %s)",
			worst.Workload, worst.Query, worst.Relation, worst.Mode, oneLine(worst.BlockedBy, 120))
	}
	return c
}

func worstTrafficWait(events []result.LockEvent) (result.LockEvent, bool) {
	var worst result.LockEvent
	found := false
	for _, e := range events {
		if lockmon.IsTraffic(e.Workload) && (!found || e.WaitMS > worst.WaitMS) {
			worst, found = e, true
		}
	}
	return worst, found
}

func p99Check(limit float64, w result.Workload) result.Check {
	c := result.Check{Name: "p99_regression[" + w.Name + "]", Limit: fmt.Sprintf("%.2fx", limit), Pass: true}
	base, ok := w.ByPhase["baseline"]
	switch {
	case !ok || base.Count == 0:
		c.Observed = "no baseline samples (the workload started after the baseline)"
	case w.Migration.Count == 0:
		c.Observed = "no samples during the migration"
	default:
		ratio := w.Migration.P99MS / base.P99MS
		c.Pass = ratio <= limit
		c.Observed = fmt.Sprintf("%.2fx (p99 %s in baseline, %s during the migration)", ratio, result.FormatMS(base.P99MS), result.FormatMS(w.Migration.P99MS))
	}
	return c
}

func errorRateCheck(limit float64, w result.Workload) result.Check {
	var total, errs int64
	bySQLState := map[string]int64{}
	for _, q := range w.Queries {
		total += q.Count
		errs += q.Errors
		for code, n := range q.ErrorsBySQLState {
			bySQLState[code] += n
		}
	}
	rate := 0.0
	if total > 0 {
		rate = float64(errs) / float64(total)
	}
	c := result.Check{Name: "max_error_rate[" + w.Name + "]", Limit: fmt.Sprintf("%.2f%%", limit*100), Pass: rate <= limit,
		Observed: fmt.Sprintf("%.2f%% (%d of %d)", rate*100, errs, total)}
	if errs > 0 {
		c.Observed += " " + sqlStateSummary(bySQLState)
	}
	return c
}

func sqlStateSummary(counts map[string]int64) string {
	codes := make([]string, 0, len(counts))
	for code := range counts {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	parts := make([]string, len(codes))
	for i, code := range codes {
		parts[i] = fmt.Sprintf("%s×%d", code, counts[code])
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func durationCheck(limitMS float64, steps []result.Step) result.Check {
	var total int64
	for _, s := range steps {
		total += s.DurationMS
	}
	return result.Check{Name: "max_duration", Limit: result.FormatMS(limitMS), Observed: result.FormatMS(float64(total)), Pass: float64(total) <= limitMS}
}

func oneLine(s string, n int) string {
	return truncate(strings.Join(strings.Fields(s), " "), n)
}
