package reports

import (
	"fmt"
	"strings"

	"github.com/rehearse/rehearse/result"
)

// Locator places a migration step in the file the user edits: the
// migration file or the scenario, and the line its SQL starts on. ok is
// false for a name that is no step.
type Locator func(step string) (file string, line int, ok bool)

// GitHubAnnotations returns one annotation per failed verdict check of a
// rehearsal, placed on the step that caused it (the migration file and
// line, through locate) when the result says which one did, else on
// scenarioFile. An aborted rehearsal gets one annotation saying why.
func GitHubAnnotations(r *result.Result, scenarioFile string, locate Locator) []Annotation {
	var out []Annotation
	title := "rehearse: " + r.Scenario
	if r.Status == result.StatusAborted {
		out = append(out, Annotation{Level: "error", File: scenarioFile, Title: title + " (aborted)", Message: "the rehearsal could not finish: " + r.Error})
	}
	for _, c := range r.Verdict.Checks {
		if c.Pass {
			continue
		}
		a := Annotation{Level: "error", File: scenarioFile, Title: title + ": " + c.Name, Message: checkMessage(c)}
		if step := culprit(r, c.Name); step != "" {
			if file, line, ok := locate(step); ok {
				a.File, a.Line = file, line
				a.Message += " (during step " + step + ")"
			}
		}
		out = append(out, a)
	}
	return out
}

func checkMessage(c result.Check) string {
	msg := fmt.Sprintf("%s failed: limit %s", c.Name, c.Limit)
	if c.Observed != "" {
		msg += ", observed " + c.Observed
	}
	return msg
}

// culprit names the step a failed check is about, "" when no step is.
func culprit(r *result.Result, check string) string {
	name, arg := splitCheck(strings.TrimPrefix(check, "regression."))
	switch name {
	case "migration", "rollback":
		for _, s := range r.Steps {
			if s.Error != "" {
				return s.Name
			}
		}
	case "max_lock_wait":
		return worstWaitStep(r)
	case "compatibility":
		for _, c := range r.Compatibility {
			if !c.OK && c.Running {
				return c.AfterStep
			}
		}
	case "p99_regression", "max_error_rate", "max_pool_wait":
		return worstPhaseStep(r, arg)
	case "p99":
		if _, phase, ok := strings.Cut(arg, "/"); ok && isStep(r, phase) {
			return phase
		}
	case "step_duration":
		return arg
	case "max_duration":
		longest := ""
		var ms int64 = -1
		for _, s := range r.Steps {
			if s.DurationMS > ms {
				longest, ms = s.Name, s.DurationMS
			}
		}
		return longest
	}
	if strings.HasPrefix(check, "forbid ") {
		for _, s := range r.Steps {
			if strings.Contains(check, s.Name) {
				return s.Name
			}
		}
	}
	return ""
}

// splitCheck splits "p99_regression[old]" into its name and argument.
func splitCheck(check string) (name, arg string) {
	name, rest, ok := strings.Cut(check, "[")
	if !ok {
		return check, ""
	}
	return name, strings.TrimSuffix(rest, "]")
}

func isStep(r *result.Result, name string) bool {
	for _, s := range r.Steps {
		if s.Name == name {
			return true
		}
	}
	return false
}

// worstWaitStep is the step during which the longest traffic lock wait began.
func worstWaitStep(r *result.Result) string {
	var worst *result.LockEvent
	for i, e := range r.LockWaits.Events {
		if e.Workload != "migration" && (worst == nil || e.WaitMS > worst.WaitMS) {
			worst = &r.LockWaits.Events[i]
		}
	}
	if worst == nil || !isStep(r, worst.Phase) {
		return ""
	}
	return worst.Phase
}

// worstPhaseStep is the step whose phase had the highest p99 (or errors)
// for the workload.
func worstPhaseStep(r *result.Result, workload string) string {
	best, bestScore := "", -1.0
	for _, w := range r.Workloads {
		if w.Name != workload {
			continue
		}
		for phase, st := range w.ByPhase {
			if !isStep(r, phase) {
				continue
			}
			score := st.P99MS + float64(st.Errors)*1e9
			if score > bestScore || score == bestScore && phase < best {
				best, bestScore = phase, score
			}
		}
	}
	return best
}
