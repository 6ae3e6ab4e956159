package result

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// KindMatrix is Matrix.Kind: it tells a matrix document from a single Result.
const KindMatrix = "matrix"

// How different two versions' figures must be to be listed as a difference:
// the larger at least DifferenceRatio times the smaller and at least the floor
// above it, so that run-to-run noise on a fast query is not reported.
const (
	DifferenceRatio       = 2.0
	P99DifferenceFloorMS  = 5.0
	LockDifferenceFloorMS = 50.0
	LagDifferenceFloorMS  = 100.0
)

// Matrix is one scenario rehearsed once per PostgreSQL version, side by side.
// It is written instead of a Result when a scenario has postgres.versions or
// --pg-versions is given.
type Matrix struct {
	SchemaVersion int    `json:"schema_version"`
	Kind          string `json:"kind"`
	Scenario      string `json:"scenario"`
	// StartedAt and DurationMS cover every run.
	StartedAt  time.Time `json:"started_at"`
	DurationMS int64     `json:"duration_ms"`
	// Command reproduces the matrix; empty when the caller did not record it.
	Command string `json:"command,omitempty"`
	// Versions are the versions asked for, in the order asked.
	Versions []string `json:"versions"`
	// Runs has one entry per version that was rehearsed, in the order asked;
	// a version whose server would not start has an aborted run.
	Runs []VersionRun `json:"runs"`
	// Skipped lists the versions not rehearsed because this machine cannot
	// start them (binaries not installed, image not available).
	Skipped []SkippedVersion `json:"skipped"`
	// Differences are what changed from one version to another (Differences).
	Differences []string `json:"differences"`
}

// VersionRun is one version's rehearsal: the version asked for and the full
// Result, whose fields are inlined in JSON (so each run reads as a Result).
type VersionRun struct {
	Version string `json:"version"`
	Result
}

// SkippedVersion is a version that was asked for and not rehearsed.
type SkippedVersion struct {
	Version string `json:"version"`
	Reason  string `json:"reason"`
}

// Outcome is the matrix's overall verdict: "ABORTED" when a run could not
// complete or no version ran at all, else "FAIL" when a run failed, else
// "PASS" (skipped versions do not count either way).
func (m *Matrix) Outcome() string {
	if len(m.Runs) == 0 {
		return "ABORTED"
	}
	out := "PASS"
	for i := range m.Runs {
		switch VerdictWord(&m.Runs[i].Result) {
		case "ABORTED":
			return "ABORTED"
		case "FAIL":
			out = "FAIL"
		}
	}
	return out
}

// VerdictWord is PASS, FAIL or ABORTED (a rehearsal that stopped part way).
func VerdictWord(r *Result) string {
	switch {
	case r.Status == StatusAborted:
		return "ABORTED"
	case r.Verdict.Pass:
		return "PASS"
	}
	return "FAIL"
}

// Differences lists what differs between the runs, in a stable order: the
// verdict, then per step (in the order the steps ran) its outcome, the tables
// it rewrote, its write-blocking scans and its strongest lock per relation,
// then figures that differ a lot (DifferenceRatio and the floors): p99 per
// workload during the migration, the longest lock wait, the standby's
// replay lag. It reads only its argument.
func Differences(runs []VersionRun) []string {
	if len(runs) < 2 {
		return []string{}
	}
	out := []string{}
	if d := groupDiff(runs, func(r *VersionRun) (string, bool) { return VerdictWord(&r.Result), true }); d != "" {
		out = append(out, "verdict: "+d)
	}
	for _, step := range stepNames(runs) {
		out = append(out, stepDifferences(runs, step)...)
	}
	for _, w := range workloadNames(runs) {
		if d := figureDiff(runs, P99DifferenceFloorMS, func(r *VersionRun) (float64, bool) {
			wl := workloadOf(&r.Result, w)
			return wl.Migration.P99MS, r.Status == StatusCompleted && wl.Migration.Count > wl.Migration.Errors
		}); d != "" {
			out = append(out, fmt.Sprintf("p99 of workload %s during the migration: %s", w, d))
		}
	}
	if d := figureDiff(runs, LockDifferenceFloorMS, func(r *VersionRun) (float64, bool) {
		return r.LockWaits.MaxMS, r.Status == StatusCompleted
	}); d != "" {
		out = append(out, "longest lock wait of traffic: "+d)
	}
	if d := figureDiff(runs, LagDifferenceFloorMS, func(r *VersionRun) (float64, bool) {
		return replayLag(r), r.Status == StatusCompleted && r.Replication != nil
	}); d != "" {
		out = append(out, "standby replay lag: "+d)
	}
	return out
}

func replayLag(r *VersionRun) float64 {
	if r.Replication == nil {
		return 0
	}
	return r.Replication.MaxReplayLagMS
}

// stepDifferences compares one step across the runs that ran it.
func stepDifferences(runs []VersionRun, step string) []string {
	var out []string
	ran := func(f func(s *Step) string) func(r *VersionRun) (string, bool) {
		return func(r *VersionRun) (string, bool) {
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
	for _, rel := range stepRelations(runs, step, func(s *Step) []string { return s.Rewrote }) {
		if d := groupDiff(runs, ran(func(s *Step) string { return yesNo(contains(s.Rewrote, rel), "rewrites", "does not rewrite") })); d != "" {
			out = append(out, fmt.Sprintf("step %s, table %s: %s", step, rel, d))
		}
	}
	for _, rel := range stepRelations(runs, step, blockingScanRelations) {
		if d := groupDiff(runs, ran(func(s *Step) string {
			return yesNo(contains(blockingScanRelations(s), rel), "scans it under a write-blocking lock", "no write-blocking scan")
		})); d != "" {
			out = append(out, fmt.Sprintf("step %s, table %s: %s", step, rel, d))
		}
	}
	for _, rel := range stepRelations(runs, step, lockRelations) {
		if d := groupDiff(runs, ran(func(s *Step) string { return strongestLock(s, rel) })); d != "" {
			out = append(out, fmt.Sprintf("step %s, strongest lock on %s: %s", step, rel, d))
		}
	}
	return out
}

func stepOutcome(s *Step) string {
	if s.Error == "" {
		return "succeeds"
	}
	if s.SQLState != "" {
		return "fails (SQLSTATE " + s.SQLState + ")"
	}
	return "fails"
}

func strongestLock(s *Step, rel string) string {
	best := ""
	for _, l := range s.Locks {
		if l.Relation == rel && LockStrength(l.Mode) > LockStrength(best) {
			best = l.Mode
		}
	}
	if best == "" {
		return "no lock"
	}
	return best
}

func blockingScanRelations(s *Step) []string {
	var rels []string
	for _, sc := range s.Scans {
		if sc.BlocksWrites {
			rels = append(rels, sc.Relation)
		}
	}
	return rels
}

func lockRelations(s *Step) []string {
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
func groupDiff(runs []VersionRun, key func(r *VersionRun) (string, bool)) string {
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
func figureDiff(runs []VersionRun, floorMS float64, figure func(r *VersionRun) (float64, bool)) string {
	var parts []string
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range runs {
		v, ok := figure(&runs[i])
		if !ok {
			continue
		}
		lo, hi = math.Min(lo, v), math.Max(hi, v)
		parts = append(parts, runs[i].Version+" "+FormatMS(v))
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
func stepNames(runs []VersionRun) []string {
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
func stepRelations(runs []VersionRun, step string, rels func(s *Step) []string) []string {
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

func workloadNames(runs []VersionRun) []string {
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

func stepOf(r *Result, name string) *Step {
	for i := range r.Steps {
		if r.Steps[i].Name == name {
			return &r.Steps[i]
		}
	}
	return nil
}

func workloadOf(r *Result, name string) Workload {
	for _, w := range r.Workloads {
		if w.Name == name {
			return w
		}
	}
	return Workload{}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func yesNo(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}
