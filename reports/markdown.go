package reports

import (
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/rehearse/rehearse/internal/human"
	"github.com/rehearse/rehearse/internal/pglock"
	"github.com/rehearse/rehearse/result"
)

// MarkdownLimit is the most bytes Markdown writes: under GitHub's limit of
// 65,536 characters for a comment (a character is at least one byte).
const MarkdownLimit = 65000

// mdLimits bounds the lists of a Markdown report. Markdown tries each level
// in turn until the report fits in MarkdownLimit.
type mdLimits struct {
	rows   int // rows of each table (checks, steps, waits, latency, compatibility)
	cols   int // step columns of the compatibility matrix
	cell   int // characters of a free-text cell (SQL, error messages)
	points int // points of each chart
	charts int // workloads charted
}

var mdLevels = []mdLimits{
	{rows: 40, cols: 12, cell: 160, points: 40, charts: 4},
	{rows: 15, cols: 8, cell: 100, points: 30, charts: 2},
	{rows: 5, cols: 4, cell: 60, points: 20, charts: 1},
	{rows: 2, cols: 2, cell: 40, points: 10, charts: 0},
}

// Markdown writes the sign-off report for a pull request: GitHub-flavoured
// Markdown with the verdict on the first line, then the failed checks,
// steps, lock waits, latency per phase, the compatibility matrix, a Mermaid
// chart of p99 latency over time and the command that reproduces the run.
// It never writes more than MarkdownLimit bytes: long lists are cut, and
// say how many entries were left out.
func Markdown(w io.Writer, r *result.Result) error {
	return writeFitted(w, func(lim mdLimits) string { return renderMarkdown(r, lim) })
}

// writeFitted renders with ever tighter limits until the output fits in
// MarkdownLimit (GitHub's comment limit), cutting as a last resort.
func writeFitted(w io.Writer, render func(mdLimits) string) error {
	var out string
	for _, lim := range mdLevels {
		out = render(lim)
		if len(out) <= MarkdownLimit {
			break
		}
	}
	if len(out) > MarkdownLimit {
		out = cutMarkdown(out, MarkdownLimit)
	}
	_, err := io.WriteString(w, out)
	return err
}

// cutMarkdown is the last resort when even the tightest limits do not fit
// (a scenario name of megabytes, say): cut at a line and close a code fence
// left open.
func cutMarkdown(s string, limit int) string {
	const note = "\n\n… report cut at 65,000 characters; the full result is in the JSON.\n"
	s = s[:limit-len(note)-8]
	if i := strings.LastIndexByte(s, '\n'); i > 0 {
		s = s[:i]
	}
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	if strings.Count(s, "```")%2 == 1 {
		s += "\n```"
	}
	return s + note
}

func renderMarkdown(r *result.Result, lim mdLimits) string {
	m := &mdWriter{lim: lim}
	m.verdict(r)
	m.hazards(r)
	m.checks(r)
	m.inferred(r)
	m.steps(r)
	m.lint(r)
	m.lockWaits(r)
	m.stalls(r)
	m.replication(r)
	m.latency(r)
	m.fidelity(r) // fidelity.go
	m.compatibility(r)
	m.charts(r)
	m.reproduce(r)
	return m.b.String()
}

// hazards lists what hurt and the fix, right after the verdict.
func (m *mdWriter) hazards(r *result.Result) {
	hs := r.Hazards
	if len(hs) == 0 {
		return
	}
	m.printf("**What hurt, and the fix**\n\n")
	shown := hs[:min(len(hs), m.lim.rows)]
	for _, h := range shown {
		m.printf("- %s — *fix:* %s\n", mdText(h.What, 300), mdText(h.Fix, 300))
	}
	m.more(len(hs)-len(shown), "hazards")
	m.printf("\n")
}

// mdWriter accumulates one rendering of a report.
type mdWriter struct {
	b   strings.Builder
	lim mdLimits
}

func (m *mdWriter) printf(format string, args ...any) { fmt.Fprintf(&m.b, format, args...) }

// table writes a GFM table; align holds one of "l", "r" per column.
func (m *mdWriter) table(header []string, align string, rows [][]string) {
	m.printf("| %s |\n|", strings.Join(header, " | "))
	for _, a := range align {
		if a == 'r' {
			m.printf("--:|")
		} else {
			m.printf("---|")
		}
	}
	m.printf("\n")
	for _, row := range rows {
		m.printf("| %s |\n", strings.Join(row, " | "))
	}
}

// more writes the count of what a list left out.
func (m *mdWriter) more(n int, what string) {
	if n > 0 {
		m.printf("\n… and %d more %s (all in the JSON result).\n", n, what)
	}
}

func (m *mdWriter) verdict(r *result.Result) {
	icon := map[string]string{"PASS": "✅", "FAIL": "❌", "ABORTED": "⚠️", "INVALID": "⚠️"}[verdictWord(r)]
	m.printf("### %s %s · %s · PostgreSQL %s · %s rows", icon, verdictWord(r), mdText(r.Scenario, m.lim.cell),
		mdText(shortVersion(r.Postgres.Version), 40), human.Count(totalRows(r)))
	if b := totalBytes(r); b > 0 {
		m.printf(" (%s)", human.Bytes(b))
	}
	m.printf(" · migration %s · total %s\n\n", human.MS(float64(migrationMS(r))), human.MS(float64(r.DurationMS)))
	if r.Status == result.StatusAborted {
		m.printf("**Aborted** in `%s`: %s\n\n", mdCode(r.AbortedIn, 40), mdText(r.Error, m.lim.cell*2))
	}
}

func (m *mdWriter) checks(r *result.Result) {
	failed := failedChecks(r)
	total := len(r.Verdict.Checks)
	if len(failed) > 0 {
		m.printf("**%d of %d checks failed**\n\n", len(failed), total)
		shown := failed[:min(len(failed), m.lim.rows)]
		rows := make([][]string, 0, len(shown))
		for _, c := range shown {
			rows = append(rows, []string{"`" + mdCode(c.Name, 80) + "`", mdText(c.Observed, m.lim.cell), mdText(limitText(r, c), 72)})
		}
		m.table([]string{"failed check", "observed", "limit"}, "lll", rows)
		m.more(len(failed)-len(shown), "failed checks")
		m.printf("\n")
	}
	var passed []string
	for _, c := range r.Verdict.Checks {
		if c.Pass {
			passed = append(passed, fmt.Sprintf("`%s` %s", mdCode(c.Name, 80), mdText(c.Observed, 60)))
		}
	}
	if len(passed) == 0 {
		if total == 0 {
			m.printf("No checks were made.\n\n")
		}
		return
	}
	shown := passed[:min(len(passed), m.lim.rows)]
	m.printf("Passed (%d): %s", len(passed), strings.Join(shown, " · "))
	if n := len(passed) - len(shown); n > 0 {
		m.printf(" · … and %d more", n)
	}
	m.printf("\n\n")
}

func (m *mdWriter) steps(r *result.Result) {
	if len(r.Steps) == 0 {
		return
	}
	m.printf("#### Migration steps\n\n")
	shown := r.Steps[:min(len(r.Steps), m.lim.rows)]
	rows := make([][]string, 0, len(shown))
	for _, s := range shown {
		rows = append(rows, []string{"`" + mdCode(s.Name, 60) + "`", human.MS(float64(s.DurationMS)),
			m.stepLocks(s.Locks), mdText(strings.Join(s.Rewrote, ", "), m.lim.cell), m.stepOutcome(s)})
	}
	m.table([]string{"step", "duration", "strongest lock per relation", "rewrote", "outcome"}, "lrlll", rows)
	m.more(len(r.Steps)-len(shown), "steps")
	m.printf("\n")
}

// stepLocks lists the locks of a step, strongest first so that a cut list
// keeps what matters; ACCESS EXCLUSIVE is in bold.
func (m *mdWriter) stepLocks(locks []result.StepLock) string {
	sorted := append([]result.StepLock(nil), locks...)
	sort.SliceStable(sorted, func(i, j int) bool { return pglock.Strength(sorted[i].Mode) > pglock.Strength(sorted[j].Mode) })
	limit := min(len(sorted), max(2, m.lim.rows/4))
	parts := make([]string, 0, limit+1)
	for _, l := range sorted[:limit] {
		mode := modeShort(l.Mode)
		if l.Mode == "AccessExclusiveLock" {
			mode = "**" + mode + "**"
		}
		parts = append(parts, fmt.Sprintf("%s %s %s", mdText(l.Relation, 60), mode, human.MS(l.HeldMS)))
	}
	if n := len(sorted) - limit; n > 0 {
		parts = append(parts, fmt.Sprintf("… and %d more", n))
	}
	return strings.Join(parts, "<br>")
}

func (m *mdWriter) stepOutcome(s result.Step) string {
	if s.Error == "" {
		return mdText(stepOutcome(s), m.lim.cell)
	}
	text := "❌ " + mdText(s.Error, m.lim.cell)
	if s.SQLState != "" {
		text += " (SQLSTATE " + mdText(s.SQLState, 10) + ")"
	}
	if s.Line > 0 {
		text += fmt.Sprintf(" at line %d:%d", s.Line, s.Column)
	}
	return text
}

func (m *mdWriter) lockWaits(r *result.Result) {
	lw := r.LockWaits
	m.printf("#### Lock waits\n\n")
	if lw.Count == 0 {
		m.printf("Traffic never waited for a lock")
		if lw.Monitor != nil {
			m.printf(" (sampled %s)", sampling(lw.Monitor))
		}
		m.printf(".\n\n")
		return
	}
	m.printf("Traffic waited **%d** %s, **max %s**, total %s", lw.Count, plural(lw.Count, "time", "times"), human.MS(lw.MaxMS), human.MS(lw.TotalMS))
	if lw.Monitor != nil {
		m.printf(" (sampled %s)", sampling(lw.Monitor))
	}
	m.printf(".")
	if b, ok := worstBlocker(r); ok {
		m.printf(" Worst blocker: `%s`", mdCode(b.Statement, m.lim.cell))
		if b.App != "" {
			m.printf(" (%s)", mdText(b.App, 40))
		}
		m.printf(", %d %s, %s in all.", b.Waits, plural(b.Waits, "wait", "waits"), human.MS(b.TotalMS))
	}
	m.printf("\n\n")
	events := trafficEvents(r)
	shown := events[:min(len(events), m.lim.rows/2+1)]
	rows := make([][]string, 0, len(shown))
	for _, e := range shown {
		rows = append(rows, []string{mdText(e.Workload, 20), "`" + mdCode(e.Query, 60) + "`", mdText(e.Relation, 60),
			modeShort(e.Mode), human.MS(e.WaitMS), mdText(e.Phase, 40), "`" + mdCode(e.BlockedBy, m.lim.cell) + "`"})
	}
	m.table([]string{"workload", "query", "relation", "wanted", "waited", "phase", "blocked by"}, "llllrll", rows)
	m.more(len(r.LockWaits.Events)+lw.EventsOmitted-len(shown), "wait events")
	m.printf("\n")
}

func (m *mdWriter) latency(r *result.Result) {
	if len(r.Workloads) == 0 {
		return
	}
	m.printf("#### Latency by phase\n\n")
	phases := phaseOrder(r)
	for _, w := range r.Workloads {
		m.printf("**%s**: target %.0f/s, achieved %.1f/s", mdText(w.Name, 40), w.TargetRate, w.AchievedRate)
		if w.Dropped > 0 {
			m.printf(", **%s requests dropped** (the generator fell behind)", human.Count(w.Dropped))
		}
		m.printf("\n\n")
		if len(w.Queries) == 0 {
			m.printf("(never started)\n\n")
			continue
		}
		all := workloadRows(w, phases)
		shown := all[:min(len(all), m.lim.rows)]
		rows := make([][]string, 0, len(shown))
		for _, row := range shown {
			cells := append([]string(nil), row...)
			cells[0] = "`" + mdCode(cells[0], 60) + "`"
			cells[1] = mdText(cells[1], 40)
			rows = append(rows, cells)
		}
		m.table([]string{"query", "phase", "count", "errors", "p50", "p95", "p99", "max"}, "llrrrrrr", rows)
		m.more(len(all)-len(shown), "rows")
		m.printf("\n")
	}
}

func (m *mdWriter) compatibility(r *result.Result) {
	if len(r.Compatibility) == 0 {
		return
	}
	cm := buildCompat(r)
	m.printf("#### Compatibility\n\nDoes each query still prepare against the schema after each step?\n\n")
	// Broken rows first: they are the finding.
	rows := append([]compatRow(nil), cm.Rows...)
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].broken() && !rows[j].broken() })
	steps := cm.Steps[:min(len(cm.Steps), m.lim.cols)]
	header := []string{"workload", "query"}
	for _, s := range steps {
		header = append(header, compatHeader(s, func(s string) string { return "`" + mdCode(s, 30) + "`" }))
	}
	shown := rows[:min(len(rows), m.lim.rows)]
	body := make([][]string, 0, len(shown))
	for _, row := range shown {
		cells := []string{mdText(row.Workload, 20), "`" + mdCode(row.Query, 60) + "`"}
		for _, s := range steps {
			cells = append(cells, compatCell(row.Cells[s]))
		}
		body = append(body, cells)
	}
	m.table(header, strings.Repeat("l", len(header)), body)
	if n := len(cm.Steps) - len(steps); n > 0 {
		m.printf("\n… and %d more steps (all in the JSON result).\n", n)
	}
	m.more(len(rows)-len(shown), "queries")
	m.printf("\n")
}

func compatCell(c result.Compatibility) string {
	switch {
	case c.Query == "":
		return "·"
	case c.OK && (c.CachedOK == nil || *c.CachedOK):
		return "✅"
	case c.OK:
		return "✅ fresh, ❌ cached " + mdText(c.CachedSQLState, 10)
	}
	cell := strings.TrimSpace("❌ " + mdText(c.SQLState, 10))
	if c.CachedOK != nil && !*c.CachedOK {
		cell += ", cached " + mdText(c.CachedSQLState, 10)
	}
	if !c.Running {
		cell += " (not serving then)"
	}
	return cell
}

func (m *mdWriter) charts(r *result.Result) {
	charted := 0
	for _, w := range r.Workloads {
		if charted >= m.lim.charts {
			break
		}
		chart, ok := mermaidLatency(r, w, m.lim.points)
		if !ok {
			continue
		}
		if charted == 0 {
			m.printf("#### p99 latency over time\n\n")
			m.printf("Grey bars mark the seconds in which a migration step ran; the line is the p99 latency (ms) of the requests that completed in each interval (0: none completed).\n\n")
		}
		charted++
		m.printf("```mermaid\n%s```\n\n", chart)
	}
}

func (m *mdWriter) reproduce(r *result.Result) {
	m.printf("#### Reproduce\n\n```sh\n")
	if r.Command != "" {
		m.printf("%s\n```\n\n", strings.ReplaceAll(human.Clip(r.Command, 2000), "```", "'''"))
	} else {
		m.printf("rehearse SCENARIO.yaml --seed %d\n```\n\n(the command line was not recorded in this result)\n\n", r.Seed)
	}
	tool := "rehearse"
	if r.ToolVersion != "" {
		tool += " " + mdText(r.ToolVersion, 60) + " ·"
	}
	m.printf("<sub>%s result schema %d · started %s · seed %d · %s provider</sub>\n",
		tool, r.SchemaVersion, r.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC"), r.Seed, mdText(r.Postgres.Provider, 20))
}

// mdSpecial matches what could start Markdown or HTML inside a table cell.
var mdSpecial = regexp.MustCompile("[\\\\`*_\\[\\]<>|#~]")

// mdText makes s safe as plain text in a table cell: one line, at most n
// characters, Markdown and HTML characters escaped.
func mdText(s string, n int) string {
	return mdSpecial.ReplaceAllStringFunc(human.Clip(s, n), func(c string) string { return "\\" + c })
}

// mdCode makes s safe inside a `code span` in a table cell: one line, at
// most n characters, no backticks, pipes escaped (GFM splits cells first).
func mdCode(s string, n int) string {
	return strings.ReplaceAll(strings.ReplaceAll(human.Clip(s, n), "`", "'"), "|", "\\|")
}
