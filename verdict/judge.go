package verdict

import (
	"fmt"
	"sort"
	"strings"

	"github.com/rehearse/rehearse/internal/human"
	"github.com/rehearse/rehearse/internal/pglock"
	"github.com/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
)

// Judge compares a completed rehearsal's measurements with the scenario's
// thresholds. Every step must succeed; a threshold the scenario does not set
// is not checked. It reads only its arguments.
func Judge(sc *scenarios.Scenario, res *result.Result) result.Verdict {
	checks := []result.Check{stepsCheck(sc, res.Steps), compatibilityCheck(res.Compatibility)}
	if res.Guard != nil {
		checks = append(checks, result.Check{Name: "abort_on", Limit: "live traffic stays inside migration.abort_on", Pass: false,
			Observed: fmt.Sprintf("stopped at step %s: %s", res.Guard.Step, res.Guard.Reason)})
	}
	if len(res.Rollback) > 0 {
		checks = append(checks, rollbackCheck(res))
	}
	th := sc.Thresholds
	for _, rule := range th.Forbid {
		checks = append(checks, forbidCheck(rule, res.Steps))
	}
	if th.MaxLockWait != nil {
		checks = append(checks, lockWaitCheck(th.MaxLockWait.D().Seconds()*1000, res.LockWaits))
	}
	if th.P99Regression != nil {
		floorMS := 0.0
		if th.P99Floor != nil {
			floorMS = th.P99Floor.D().Seconds() * 1000
		}
		for _, w := range res.Workloads {
			checks = append(checks, p99Check(*th.P99Regression, floorMS, w, noiseOf(res, w.Name)))
		}
	}
	for _, w := range res.Workloads {
		if limit, ok := th.MaxErrorRate[w.Name]; ok {
			checks = append(checks, errorRateCheck(limit, w))
		}
	}
	if th.MaxPoolWait != nil {
		checks = append(checks, poolWaitCheck(th.MaxPoolWait.D().Seconds()*1000, res.Workloads))
	}
	if th.MaxDuration != nil {
		checks = append(checks, durationCheck(th.MaxDuration.D().Seconds()*1000, res.Steps))
	}
	if th.MaxReplicationLag != nil {
		checks = append(checks, replicationLagCheck(th.MaxReplicationLag.D().Seconds()*1000, res.Replication))
	}
	v := result.Verdict{Pass: true, Reasons: []string{}, Checks: checks}
	for _, c := range checks {
		if !c.Pass {
			v.Pass = false
			v.Reasons = append(v.Reasons, fmt.Sprintf("%s: observed %s, limit %s", c.Name, c.Observed, c.Limit))
		}
	}
	limit := 0.0
	if th.P99Regression != nil {
		limit = *th.P99Regression
	}
	if reason := invalidReason(res, checks, limit); reason != "" {
		v.Pass, v.Invalid, v.InvalidReason = false, true, reason
		v.Reasons = append([]string{"invalid: " + reason}, v.Reasons...)
	}
	return v
}

func stepsCheck(sc *scenarios.Scenario, steps []result.Step) result.Check {
	c := result.Check{Name: "migration", Limit: "every step succeeds", Pass: true,
		Observed: fmt.Sprintf("%d of %d steps succeeded", countOK(steps), len(sc.Migration.Steps))}
	for _, s := range steps {
		if s.Error != "" {
			c.Pass = false
			c.Observed = fmt.Sprintf("step %s failed: %s", s.Name, StepError(s))
			return c
		}
	}
	if len(steps) < len(sc.Migration.Steps) {
		c.Pass = false
	}
	return c
}

// compatibilityCheck fails when a query of a workload that was serving
// traffic no longer prepared after a step: old and new code must both work.
func compatibilityCheck(compat []result.Compatibility) result.Check {
	c := result.Check{Name: "compatibility", Limit: "every query of a running workload prepares after every step", Pass: true}
	var broken []string
	checked := 0
	for _, e := range compat {
		if !e.Running {
			continue
		}
		checked++
		if !e.OK {
			broken = append(broken, fmt.Sprintf("%s query %s after %s: %s (SQLSTATE %s)", e.Workload, e.Query, e.AfterStep, e.Error, e.SQLState))
		}
	}
	c.Observed = fmt.Sprintf("%d checks, all prepare", checked)
	if len(broken) > 0 {
		c.Pass = false
		c.Observed = fmt.Sprintf("%d of %d break: %s", len(broken), checked, strings.Join(firstN(broken, 3), "; "))
	}
	return c
}

// rollbackCheck says whether the rollback steps ran and brought the schema
// back to one that every running workload's queries prepare against. It
// records the outcome; the verdict fails anyway, since a step failed.
func rollbackCheck(res *result.Result) result.Check {
	c := result.Check{Name: "rollback", Limit: "every rollback step succeeds and running queries prepare again", Pass: true}
	for _, s := range res.Rollback {
		if s.Error != "" {
			c.Pass = false
			c.Observed = fmt.Sprintf("rollback step %s failed: %s", s.Name, StepError(s))
			return c
		}
	}
	checked, broken := 0, 0
	for _, e := range res.Compatibility {
		if e.AfterStep == result.AfterRollback && e.Running {
			checked++
			if !e.OK {
				broken++
			}
		}
	}
	c.Pass = broken == 0
	c.Observed = fmt.Sprintf("%d rollback steps ran; %d of %d queries of running workloads prepare afterwards", len(res.Rollback), checked-broken, checked)
	return c
}

func firstN(list []string, n int) []string {
	if len(list) <= n {
		return list
	}
	return append(list[:n:n], fmt.Sprintf("and %d more", len(list)-n))
}

// forbidCheck applies one thresholds.forbid rule to every step.
func forbidCheck(rule scenarios.ForbidRule, steps []result.Step) result.Check {
	c := result.Check{Name: "forbid " + rule.Rule, Limit: "never", Pass: true}
	if rule.Limit > 0 {
		c.Limit = human.MS(rule.Limit.D().Seconds() * 1000)
	}
	var found []string
	for _, s := range steps {
		found = append(found, forbiddenIn(rule, s)...)
	}
	c.Observed = "none"
	if len(found) > 0 {
		c.Pass = false
		c.Observed = strings.Join(firstN(found, 3), "; ")
	}
	return c
}

func forbiddenIn(rule scenarios.ForbidRule, s result.Step) []string {
	var found []string
	limitMS := rule.Limit.D().Seconds() * 1000
	switch rule.Rule {
	case scenarios.ForbidRewrite:
		for _, rel := range s.Rewrote {
			found = append(found, fmt.Sprintf("step %s rewrote %s", s.Name, rel))
		}
	case scenarios.ForbidWriteBlockingScan:
		for _, sc := range s.Scans {
			if sc.BlocksWrites {
				found = append(found, fmt.Sprintf("step %s scanned %s (%d rows) holding %s", s.Name, sc.Relation, sc.Rows, sc.Mode))
			}
		}
	case scenarios.ForbidAccessExclusiveOver, scenarios.ForbidWriteLockOver:
		for _, l := range s.Locks {
			strongEnough := l.Mode == "AccessExclusiveLock" || (rule.Rule == scenarios.ForbidWriteLockOver && pglock.BlocksWrites(l.Mode))
			if strongEnough && l.HeldMS > limitMS {
				found = append(found, fmt.Sprintf("step %s held %s on %s for %s", s.Name, l.Mode, l.Relation, human.MS(l.HeldMS)))
			}
		}
	}
	return found
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
	c := result.Check{Name: "max_lock_wait", Limit: human.MS(limitMS), Observed: human.MS(waits.MaxMS), Pass: waits.MaxMS <= limitMS}
	if worst, ok := worstTrafficWait(waits.Events); ok && !c.Pass {
		c.Observed += fmt.Sprintf(" (%s query %s waited on %s for %s, blocked by: %s)",
			worst.Workload, worst.Query, worst.Relation, worst.Mode, human.Clip(worst.BlockedBy, 120))
	}
	return c
}

func worstTrafficWait(events []result.LockEvent) (result.LockEvent, bool) {
	var worst result.LockEvent
	found := false
	for _, e := range events {
		if result.IsTraffic(e.Workload) && (!found || e.WaitMS > worst.WaitMS) {
			worst, found = e, true
		}
	}
	return worst, found
}

func p99Check(limit, floorMS float64, w result.Workload, noise *result.Noise) result.Check {
	c := result.Check{Name: "p99_regression[" + w.Name + "]", Limit: fmt.Sprintf("%.2fx", limit), Pass: true}
	if floorMS > 0 {
		c.Limit += " above " + human.MS(floorMS)
	}
	base, ok := w.ByPhase[result.PhaseBaseline]
	switch {
	case !ok || base.Count == 0:
		c.Observed = "no baseline samples (the workload started after the baseline)"
	case w.Migration.Count == 0:
		c.Observed = "no samples during the migration"
	default:
		ratio := w.Migration.P99MS / base.P99MS
		c.Pass = ratio <= limit || w.Migration.P99MS <= floorMS
		c.Observed = fmt.Sprintf("%.2fx (p99 %s in baseline, %s during the migration)", ratio, human.MS(base.P99MS), human.MS(w.Migration.P99MS))
		c = withinNoise(c, ratio, noise)
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
	return result.Check{Name: "max_duration", Limit: human.MS(limitMS), Observed: human.MS(float64(total)), Pass: float64(total) <= limitMS}
}

// StepError is a failed step's error as one line: the message, its
// SQLSTATE and where in the scenario the statement stands.
func StepError(s result.Step) string {
	text := s.Error
	if s.SQLState != "" {
		text += " (SQLSTATE " + s.SQLState + ")"
	}
	if s.Line > 0 {
		text += fmt.Sprintf(" at line %d, column %d of the scenario", s.Line, s.Column)
	}
	return text
}
