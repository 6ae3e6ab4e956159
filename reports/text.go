// Package reports renders a result.Result for people and machines. Renderers
// read only the Result: they never talk to PostgreSQL, so any saved result
// can be rendered again.
package reports

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/rehearse/rehearse/internal/human"
	"github.com/rehearse/rehearse/result"
)

// maxTextEvents is how many lock wait events the terminal summary lists.
const maxTextEvents = 5

// Text writes the terminal summary: verdict, hazards with their fixes,
// checks, steps and their statements, compatibility breaks, latency per
// workload, query and phase, and lock waits.
func Text(w io.Writer, r *result.Result) error {
	p := &printer{w: w}
	p.header(r)
	p.hazards(r)
	p.checks(r)
	p.steps(r)
	p.statements(r)
	p.lint(r)
	p.compatibility(r)
	p.workloads(r)
	p.fidelity(r) // fidelity.go
	p.background(r)
	p.lockWaits(r)
	p.stalls(r)
	p.replication(r)
	return p.err
}

func (p *printer) hazards(r *result.Result) {
	hs := r.Hazards
	if len(hs) == 0 {
		return
	}
	p.printf("\nWhat hurt, and the fix\n")
	for _, h := range hs {
		p.printf("  ! %s\n    fix: %s\n", h.What, h.Fix)
	}
}

// statements lists what each statement of a traced step did: its locks,
// rewrites and write-blocking scans.
func (p *printer) statements(r *result.Result) {
	var rows [][]string
	for _, s := range append(append([]result.Step{}, r.Steps...), r.Rollback...) {
		for _, st := range s.Statements {
			rows = append(rows, []string{s.Name, human.Clip(st.SQL, 60), human.MS(st.DurationMS), stepLocks(st.Locks),
				strings.Join(st.Rewrote, ", "), blockingScans(st.Scans)})
		}
	}
	if len(rows) == 0 {
		return
	}
	p.printf("\nStatements\n")
	p.table([]string{"step", "statement", "took", "locks taken (held until commit)", "rewrote", "scanned blocking writes"}, rows)
}

func blockingScans(scans []result.TableScan) string {
	var parts []string
	for _, sc := range scans {
		if sc.BlocksWrites {
			parts = append(parts, fmt.Sprintf("%s (%s)", sc.Relation, human.RowsRead(sc.Rows, sc.Passes)))
		}
	}
	return strings.Join(parts, "\n")
}

// compatibility lists the queries that stopped preparing, or that a caching
// driver would see fail, after a step.
func (p *printer) compatibility(r *result.Result) {
	var rows [][]string
	for _, c := range r.Compatibility {
		cachedBroke := c.CachedOK != nil && !*c.CachedOK
		if c.OK && !cachedBroke {
			continue
		}
		rows = append(rows, []string{c.Workload, c.Query, c.AfterStep, compatText(c.OK, c.SQLState), cachedCell(c), runningWord(c.Running)})
	}
	if len(rows) == 0 {
		return
	}
	p.printf("\nCompatibility: queries that break (the others prepare after every step)\n")
	p.table([]string{"workload", "query", "after", "prepared fresh", "prepared before, run after", "serving traffic"}, rows)
}

func compatText(ok bool, sqlstate string) string {
	if ok {
		return "ok"
	}
	return "FAILS " + sqlstate
}

func cachedCell(c result.Compatibility) string {
	if c.CachedOK == nil {
		return "-"
	}
	return compatText(*c.CachedOK, c.CachedSQLState)
}

func runningWord(running bool) string {
	if running {
		return "yes"
	}
	return "no"
}

// background lists the background sessions and how long each run held.
func (p *printer) background(r *result.Result) {
	if len(r.Background) == 0 {
		return
	}
	p.printf("\nBackground sessions\n")
	var rows [][]string
	for _, b := range r.Background {
		for _, run := range b.Runs {
			rows = append(rows, []string{b.Name, b.Trigger, human.Clip(b.SQL, 50), run.Phase, human.MS(run.QueryMS),
				human.MS(run.HeldMS), run.SQLState})
		}
		if b.Error != "" {
			rows = append(rows, []string{b.Name, b.Trigger, human.Clip(b.SQL, 50), "", "", "", b.Error})
		}
	}
	p.table([]string{"session", "trigger", "sql", "phase", "ran", "held idle", "error"}, rows)
}

// printer keeps the first write error so that the sections read as a list.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func (p *printer) table(header []string, rows [][]string) {
	if p.err != nil {
		return
	}
	t := tablewriter.NewTable(p.w, tablewriter.WithHeaderAutoFormat(tw.Off))
	t.Header(toAny(header)...)
	if err := t.Bulk(rows); err != nil {
		p.err = err
		return
	}
	p.err = t.Render()
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func (p *printer) header(r *result.Result) {
	p.printf("\n%s — %s\n", verdictWord(r), r.Scenario)
	loaded := "loaded in " + human.MS(float64(r.Data.LoadMS))
	if r.Data.Cached {
		loaded = "from the dataset cache"
	}
	p.printf("PostgreSQL %s (%s provider), %s rows in %d tables %s, seed %d, total %s\n",
		r.Postgres.Version, r.Postgres.Provider, human.Count(totalRows(r)), len(r.Data.Tables),
		loaded, r.Seed, human.MS(float64(r.DurationMS)))
	if r.Status == result.StatusAborted {
		p.printf("ABORTED in %s: %s\n", r.AbortedIn, r.Error)
	}
	if r.Guard != nil {
		p.printf("STOPPED by abort_on at step %s: %s\n", r.Guard.Step, r.Guard.Reason)
	}
	for _, reason := range r.Verdict.Reasons {
		p.printf("  ✗ %s\n", reason)
	}
}

func verdictWord(r *result.Result) string {
	switch {
	case r.Status == result.StatusAborted:
		return "ABORTED"
	case r.Verdict.Invalid:
		return "INVALID"
	case r.Verdict.Pass:
		return "PASS"
	default:
		return "FAIL"
	}
}

func (p *printer) checks(r *result.Result) {
	if len(r.Verdict.Checks) == 0 {
		return
	}
	p.printf("\nChecks\n")
	rows := make([][]string, 0, len(r.Verdict.Checks))
	for _, c := range r.Verdict.Checks {
		rows = append(rows, []string{c.Name, limitText(r, c), c.Observed, passWord(c.Pass)})
	}
	p.table([]string{"check", "limit", "observed", "result"}, rows)
}

func passWord(ok bool) string {
	if ok {
		return "pass"
	}
	return "FAIL"
}

func (p *printer) steps(r *result.Result) {
	if len(r.Steps) == 0 {
		return
	}
	p.printf("\nMigration steps\n")
	rows := make([][]string, 0, len(r.Steps)+len(r.Rollback))
	for _, s := range r.Steps {
		rows = append(rows, stepRow(s.Name, s))
	}
	for _, s := range r.Rollback {
		rows = append(rows, stepRow("rollback "+s.Name, s))
	}
	p.table([]string{"step", "duration", "strongest lock per relation", "rewrote", "outcome"}, rows)
}

func stepRow(name string, s result.Step) []string {
	locks := stepLocks(s.Locks)
	if s.LocksSampled && locks != "" {
		locks += "\n(sampled)"
	}
	return []string{name, human.MS(float64(s.DurationMS)), locks, strings.Join(s.Rewrote, ", "), stepOutcome(s)}
}

func stepLocks(locks []result.StepLock) string {
	parts := make([]string, len(locks))
	for i, l := range locks {
		parts[i] = fmt.Sprintf("%s %s %s", l.Relation, strings.TrimSuffix(l.Mode, "Lock"), human.MS(l.HeldMS))
	}
	return strings.Join(parts, "\n")
}

func stepOutcome(s result.Step) string {
	if s.Error == "" {
		text := "ok"
		if s.Batches > 0 {
			text = fmt.Sprintf("ok: %d batches, %s rows", s.Batches, human.Count(s.Rows))
		}
		if s.LockTimeouts > 0 {
			text += fmt.Sprintf("\n%d lock timeouts, %d tries", s.LockTimeouts, s.Attempts)
		}
		if s.ThrottledMS > 0 {
			text += "\nthrottled " + human.MS(float64(s.ThrottledMS))
		}
		return text
	}
	text := "FAILED: " + s.Error
	if s.SQLState != "" {
		text += " (SQLSTATE " + s.SQLState + ")"
	}
	if s.Line > 0 {
		text += fmt.Sprintf(" at line %d:%d", s.Line, s.Column)
	}
	return text
}

func (p *printer) workloads(r *result.Result) {
	phases := phaseOrder(r)
	for _, w := range r.Workloads {
		p.printf("\nWorkload %s: target %.0f/s, achieved %.1f/s", w.Name, w.TargetRate, w.AchievedRate)
		if w.PoolWait != nil && w.PoolWait.Count > 0 {
			p.printf(", pool wait p99 %s max %s", human.MS(w.PoolWait.P99MS), human.MS(w.PoolWait.MaxMS))
		}
		p.printf("\n")
		for _, warning := range w.Warnings {
			p.printf("  warning: %s\n", warning)
		}
		if len(w.Queries) == 0 {
			p.printf("  (never started)\n")
			continue
		}
		p.table([]string{"query", "phase", "count", "errors", "p50", "p95", "p99", "max"}, workloadRows(w, phases))
	}
}

func workloadRows(w result.Workload, phases []string) [][]string {
	var rows [][]string
	for _, q := range w.Queries {
		for _, ph := range phases {
			s, ok := q.ByPhase[ph]
			if !ok || s.Count+s.Errors == 0 {
				continue
			}
			rows = append(rows, []string{q.Name, ph, human.Count(s.Count), errorCell(s.Errors, nil),
				human.MS(s.P50MS), human.MS(s.P95MS), human.MS(s.P99MS), human.MS(s.MaxMS)})
		}
		rows = append(rows, []string{q.Name, "all", human.Count(q.Count), errorCell(q.Errors, q.ErrorsBySQLState),
			human.MS(q.P50MS), human.MS(q.P95MS), human.MS(q.P99MS), human.MS(q.MaxMS)})
	}
	return rows
}

func errorCell(n int64, bySQLState map[string]int64) string {
	if n == 0 {
		return "0"
	}
	codes := make([]string, 0, len(bySQLState))
	for code := range bySQLState {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	parts := []string{human.Count(n)}
	for _, code := range codes {
		parts = append(parts, fmt.Sprintf("%s×%d", code, bySQLState[code]))
	}
	return strings.Join(parts, " ")
}

// phaseOrder lists phases as they happened.
func phaseOrder(r *result.Result) []string {
	out := make([]string, 0, len(r.Phases))
	for _, ph := range r.Phases {
		out = append(out, ph.Name)
	}
	return out
}

// sampling says how often the lock monitor sampled: faster while a session
// waited for a lock than otherwise.
func sampling(m *result.MonitorStats) string {
	if m.IdleIntervalMS <= m.IntervalMS {
		return "every " + human.MS(m.IntervalMS)
	}
	return "every " + human.MS(m.IntervalMS) + " in a lock wait's first " + human.MS(result.WaitIntervalsPerAge*m.IntervalMS) +
		", then a twentieth of its age up to " + human.MS(m.IdleIntervalMS) + "; " + human.MS(m.IdleIntervalMS) + " otherwise"
}

func (p *printer) lockWaits(r *result.Result) {
	lw := r.LockWaits
	p.printf("\nLock waits of traffic: %d, total %s, max %s", lw.Count, human.MS(lw.TotalMS), human.MS(lw.MaxMS))
	if lw.Monitor != nil {
		p.printf(" (sampled %s, %d samples, %s each on average)", sampling(lw.Monitor),
			lw.Monitor.Samples, human.MS(lw.Monitor.MeanSampleMS))
	}
	p.printf("\n")
	events := longestEvents(lw.Events, maxTextEvents)
	if len(events) == 0 {
		return
	}
	rows := make([][]string, 0, len(events))
	for _, e := range events {
		rows = append(rows, []string{e.Workload, human.Clip(e.Query, 40), e.Relation, strings.TrimSuffix(e.Mode, "Lock"),
			human.MS(e.WaitMS), e.Phase, human.Clip(e.BlockedBy, 60)})
	}
	p.table([]string{"workload", "query", "relation", "wanted", "waited", "phase", "blocked by"}, rows)
	if n := len(lw.Events) + lw.EventsOmitted - len(events); n > 0 {
		p.printf("  … and %d more wait events (all in the JSON result)\n", n)
	}
}

func longestEvents(events []result.LockEvent, n int) []result.LockEvent {
	sorted := append([]result.LockEvent(nil), events...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].WaitMS > sorted[j].WaitMS })
	if len(sorted) > n {
		sorted = sorted[:n]
	}
	return sorted
}
