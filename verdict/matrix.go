package verdict

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/rehearse/rehearse/internal/human"
	"github.com/rehearse/rehearse/internal/pglock"
	"github.com/rehearse/rehearse/result"
)

// How different two versions' figures must be to be listed as a difference:
// the larger at least DifferenceRatio times the smaller and at least the floor
// above it, so that run-to-run noise on a fast query is not reported.
const (
	DifferenceRatio       = 2.0
	P99DifferenceFloorMS  = 5.0
	LockDifferenceFloorMS = 50.0
	LagDifferenceFloorMS  = 100.0
)

// Differences lists what differs between the runs, in a stable order: the
// verdict, then per step (in the order the steps ran) its outcome, the tables
// it rewrote, its write-blocking scans and its strongest lock per relation,
// then figures that differ a lot (DifferenceRatio and the floors): p99 per
// workload during the migration, the longest lock wait, the standby's
// replay lag. It reads only its argument.
func Differences(runs []result.VersionRun) []string {
	if len(runs) < 2 {
		return []string{}
	}
	out := []string{}
	if d := groupDiff(runs, func(r *result.VersionRun) (string, bool) { return result.VerdictWord(&r.Result), true }); d != "" {
		out = append(out, "verdict: "+d)
	}
	for _, step := range stepNames(runs) {
		out = append(out, stepDifferences(runs, step)...)
	}
	for _, w := range workloadNames(runs) {
		if d := figureDiff(runs, P99DifferenceFloorMS, func(r *result.VersionRun) (float64, bool) {
			wl := workloadOf(&r.Result, w)
			return wl.Migration.P99MS, r.Status == result.StatusCompleted && wl.Migration.Count > wl.Migration.Errors
		}); d != "" {
			out = append(out, fmt.Sprintf("p99 of workload %s during the migration: %s", w, d))
		}
	}
	if d := figureDiff(runs, LockDifferenceFloorMS, func(r *result.VersionRun) (float64, bool) {
		return r.LockWaits.MaxMS, r.Status == result.StatusCompleted
	}); d != "" {
		out = append(out, "longest lock wait of traffic: "+d)
	}
	if d := figureDiff(runs, LagDifferenceFloorMS, func(r *result.VersionRun) (float64, bool) {
		return replayLag(r), r.Status == result.StatusCompleted && r.Replication != nil
	}); d != "" {
		out = append(out, "standby replay lag: "+d)
	}
	return out
}

func replayLag(r *result.VersionRun) float64 {
	if r.Replication == nil {
		return 0
	}
	return r.Replication.MaxReplayLagMS
}

// stepDifferences compares one step across the runs that ran it.
func stepDifferences(runs []result.VersionRun, step string) []string {
	var out []string
	ran := func(f func(s *result.Step) string) func(r *result.VersionRun) (string, bool) {
		return func(r *result.VersionRun) (string, bool) {
			s := stepOf(&r.Result, step)
			if s == nil {
				return "", false
			}
			return f(s), true
		}
	}
	if d := groupDiff(runs, ran(stepOutcome)); d != "" {
		out = append(out, fmt.Sprintf("step %s: %s", step, d))
	}
	for _, rel := range stepRelations(runs, step, func(s *result.Step) []string { return s.Rewrote }) {
		if d := groupDiff(runs, ran(func(s *result.Step) string {
			return yesNo(slices.Contains(s.Rewrote, rel), "rewrites", "does not rewrite")
		})); d != "" {
			out = append(out, fmt.Sprintf("step %s, table %s: %s", step, rel, d))
		}
	}
	for _, rel := range stepRelations(runs, step, blockingScanRelations) {
		if d := groupDiff(runs, ran(func(s *result.Step) string {
			return yesNo(slices.Contains(blockingScanRelations(s), rel), "scans it under a write-blocking lock", "no write-blocking scan")
		})); d != "" {
			out = append(out, fmt.Sprintf("step %s, table %s: %s", step, rel, d))
		}
	}
	for _, rel := range stepRelations(runs, step, lockRelations) {
		if d := groupDiff(runs, ran(func(s *result.Step) string { return strongestLock(s, rel) })); d != "" {
			out = append(out, fmt.Sprintf("step %s, strongest lock on %s: %s", step, rel, d))
		}
	}
	return out
}

func stepOutcome(s *result.Step) string {
	if s.Error == "" {
		return "succeeds"
	}
	if s.SQLState != "" {
		return "fails (SQLSTATE " + s.SQLState + ")"
	}
	return "fails"
}

func strongestLock(s *result.Step, rel string) string {
	best := ""
	for _, l := range s.Locks {
		if l.Relation == rel && pglock.Strength(l.Mode) > pglock.Strength(best) {
			best = l.Mode
		}
	}
	if best == "" {
		return "no lock"
	}
	return best
}

func blockingScanRelations(s *result.Step) []string {
	var rels []string
	for _, sc := range s.Scans {
		if sc.BlocksWrites {
			rels = append(rels, sc.Relation)
		}
	}
	return rels
}

func lockRelations(s *result.Step) []string {
	rels := make([]string, 0, len(s.Locks))
	for _, l := range s.Locks {
		rels = append(rels, l.Relation)
	}
	return rels
}

// groupDiff groups the runs by the value key gives (runs for which key
// says false do not take part) and, when there is more than one group,
// writes "value on v1, v2; other value on v3", groups in order of their
// first version.
func groupDiff(runs []result.VersionRun, key func(r *result.VersionRun) (string, bool)) string {
	var order []string
	groups := map[string][]string{}
	for i := range runs {
		v, ok := key(&runs[i])
		if !ok {
			continue
		}
		if _, seen := groups[v]; !seen {
			order = append(order, v)
		}
		groups[v] = append(groups[v], runs[i].Version)
	}
	if len(order) < 2 {
		return ""
	}
	parts := make([]string, len(order))
	for i, v := range order {
		parts[i] = v + " on " + strings.Join(groups[v], ", ")
	}
	return strings.Join(parts, "; ")
}

// figureDiff writes every run's figure ("15 3.1ms, 16 48ms (15×)") when the
// largest is at least DifferenceRatio times the smallest and floorMS above it.
func figureDiff(runs []result.VersionRun, floorMS float64, figure func(r *result.VersionRun) (float64, bool)) string {
	var parts []string
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range runs {
		v, ok := figure(&runs[i])
		if !ok {
			continue
		}
		lo, hi = math.Min(lo, v), math.Max(hi, v)
		parts = append(parts, runs[i].Version+" "+human.MS(v))
	}
	if len(parts) < 2 || hi-lo < floorMS || hi < DifferenceRatio*lo {
		return ""
	}
	ratio := "from nothing"
	if lo > 0 {
		ratio = fmt.Sprintf("%.0f×", hi/lo)
	}
	return fmt.Sprintf("%s (%s)", strings.Join(parts, ", "), ratio)
}

// stepNames lists the steps any run ran, in the order they first appear.
func stepNames(runs []result.VersionRun) []string {
	var names []string
	seen := map[string]bool{}
	for _, r := range runs {
		for _, s := range r.Steps {
			if !seen[s.Name] {
				seen[s.Name] = true
				names = append(names, s.Name)
			}
		}
	}
	return names
}

// stepRelations is the sorted union of rels over the runs that ran step.
func stepRelations(runs []result.VersionRun, step string, rels func(s *result.Step) []string) []string {
	set := map[string]bool{}
	for i := range runs {
		if s := stepOf(&runs[i].Result, step); s != nil {
			for _, rel := range rels(s) {
				set[rel] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for rel := range set {
		out = append(out, rel)
	}
	sort.Strings(out)
	return out
}

func workloadNames(runs []result.VersionRun) []string {
	var names []string
	seen := map[string]bool{}
	for _, r := range runs {
		for _, w := range r.Workloads {
			if !seen[w.Name] {
				seen[w.Name] = true
				names = append(names, w.Name)
			}
		}
	}
	return names
}

func stepOf(r *result.Result, name string) *result.Step {
	for i := range r.Steps {
		if r.Steps[i].Name == name {
			return &r.Steps[i]
		}
	}
	return nil
}

func workloadOf(r *result.Result, name string) result.Workload {
	for _, w := range r.Workloads {
		if w.Name == name {
			return w
		}
	}
	return result.Workload{}
}

func yesNo(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}
