package reports

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/rehearse/rehearse/result"
)

// Helpers shared by the renderers. They read a Result and never modify it.

// workloadMigration is the LockEvent.Workload of the migration's own waits.
const workloadMigration = "migration"

// shortVersion keeps the version number of a server_version string:
// "15.18 (Debian 15.18-0+deb12u1)" gives "15.18".
func shortVersion(v string) string {
	if f := strings.Fields(v); len(f) > 0 {
		return f[0]
	}
	return "?"
}

// totalRows is the number of rows loaded over all tables.
func totalRows(r *result.Result) int64 {
	var n int64
	for _, t := range r.Data.Tables {
		n += t.Rows
	}
	return n
}

// totalBytes is the size of the loaded tables with their indexes.
func totalBytes(r *result.Result) int64 {
	var n int64
	for _, t := range r.Data.Tables {
		n += t.Bytes
	}
	return n
}

// migrationMS is the sum of the step durations.
func migrationMS(r *result.Result) int64 {
	var ms int64
	for _, s := range r.Steps {
		ms += s.DurationMS
	}
	return ms
}

// stepPhases returns the phases that are migration steps, in order: every
// phase but baseline and cooldown (an aborted step has a phase too).
func stepPhases(r *result.Result) []result.Phase {
	var out []result.Phase
	for _, ph := range r.Phases {
		if ph.Name != "baseline" && ph.Name != "cooldown" {
			out = append(out, ph)
		}
	}
	return out
}

// spanMS is the length of the traffic part of the run in milliseconds: to
// the end of the last phase or of the last timeline window, whichever is later.
func spanMS(r *result.Result) float64 {
	var end float64
	for _, ph := range r.Phases {
		end = math.Max(end, float64(ph.EndMS))
	}
	for _, w := range r.Workloads {
		if n := len(w.Timeline); n > 0 {
			end = math.Max(end, float64(w.Timeline[n-1].TS+1)*1000)
		}
	}
	return end
}

// trafficEvents returns the lock waits of traffic queries, longest first
// (ties by start time, so the order is stable).
func trafficEvents(r *result.Result) []result.LockEvent {
	var out []result.LockEvent
	for _, e := range r.LockWaits.Events {
		if e.Workload != workloadMigration {
			out = append(out, e)
		}
	}
	sortLongestFirst(out)
	return out
}

func sortLongestFirst(events []result.LockEvent) {
	sort.SliceStable(events, func(i, j int) bool {
		if events[i].WaitMS != events[j].WaitMS {
			return events[i].WaitMS > events[j].WaitMS
		}
		return events[i].StartMS < events[j].StartMS
	})
}

// blocker is one statement that made traffic wait, with what it cost.
type blocker struct {
	Statement string
	App       string
	Waits     int
	TotalMS   float64
	MaxMS     float64
}

// worstBlocker is the statement that made traffic wait longest in total.
func worstBlocker(r *result.Result) (blocker, bool) {
	by := map[string]*blocker{}
	for _, e := range r.LockWaits.Events {
		if e.Workload == workloadMigration {
			continue
		}
		b := by[e.BlockedBy]
		if b == nil {
			b = &blocker{Statement: e.BlockedBy, App: e.BlockedByApp}
			by[e.BlockedBy] = b
		}
		b.Waits++
		b.TotalMS += e.WaitMS
		b.MaxMS = math.Max(b.MaxMS, e.WaitMS)
	}
	var worst *blocker
	for _, b := range by {
		if worst == nil || b.TotalMS > worst.TotalMS || (b.TotalMS == worst.TotalMS && b.Statement < worst.Statement) {
			worst = b
		}
	}
	if worst == nil {
		return blocker{}, false
	}
	return *worst, true
}

// failedChecks returns the checks that did not pass, in verdict order.
func failedChecks(r *result.Result) []result.Check {
	var out []result.Check
	for _, c := range r.Verdict.Checks {
		if !c.Pass {
			out = append(out, c)
		}
	}
	return out
}

// compatMatrix arranges the compatibility records as rows (workload, query)
// by columns (steps, in the order first seen).
type compatMatrix struct {
	Steps []string
	Rows  []compatRow
}

type compatRow struct {
	Workload, Query string
	Cells           map[string]result.Compatibility
}

// broken tells whether any cell of the row failed to prepare.
func (row compatRow) broken() bool {
	for _, c := range row.Cells {
		if !c.OK {
			return true
		}
	}
	return false
}

func buildCompat(r *result.Result) compatMatrix {
	var m compatMatrix
	seenStep := map[string]bool{}
	index := map[[2]string]int{}
	for _, c := range r.Compatibility {
		if !seenStep[c.AfterStep] {
			seenStep[c.AfterStep] = true
			m.Steps = append(m.Steps, c.AfterStep)
		}
		key := [2]string{c.Workload, c.Query}
		i, ok := index[key]
		if !ok {
			i = len(m.Rows)
			index[key] = i
			m.Rows = append(m.Rows, compatRow{Workload: c.Workload, Query: c.Query, Cells: map[string]result.Compatibility{}})
		}
		m.Rows[i].Cells[c.AfterStep] = c
	}
	return m
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten, for axis limits.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p*(1+1e-9) {
			return m * p
		}
	}
	return 10 * p
}

// trimFloat writes v with at most prec decimals and no trailing zeros, never
// in exponent form.
func trimFloat(v float64, prec int) string {
	s := fmt.Sprintf("%.*f", prec, v)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// modeShort drops the "Lock" suffix of a lock mode: AccessExclusive.
func modeShort(mode string) string { return strings.TrimSuffix(mode, "Lock") }

// compatHeader names a compatibility column: the schema before any step
// is "baseline schema", the others "after STEP" (step formatted by code).
func compatHeader(step string, code func(string) string) string {
	if step == "baseline" {
		return "baseline schema"
	}
	return "after " + code(step)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
