package reports

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/rehearse/rehearse/internal/human"
	"github.com/rehearse/rehearse/result"
)

// maxStallRows bounds the stall tables; the JSON result has them all.
const maxStallRows = 20

// causeColours mark each stall cause on the HTML latency chart.
var causeColours = map[string]string{
	result.CauseLock: "#c62828", result.CauseIO: "#6a1b9a", result.CauseCheckpoint: "#4527a0",
	result.CauseWAL: "#00838f", result.CauseHarness: "#757575", result.CauseUnknown: "#000000",
}

func causeColour(cause string) string {
	if c, ok := causeColours[cause]; ok {
		return c
	}
	return "#ad1457" // lwlock:<name>
}

var stallHeader = []string{"start", "length", "phase", "cause", "workloads", "slow requests", "max latency", "what the samples show"}

// stallRows are the stalls as table rows, longest first, at most
// maxStallRows; more is how many were left out.
func stallRows(r *result.Result, detail int) (rows [][]string, more int) {
	stalls := append([]result.Stall(nil), r.Stalls...)
	sort.SliceStable(stalls, func(i, j int) bool { return stalls[i].LengthMS > stalls[j].LengthMS })
	shown := stalls[:min(len(stalls), maxStallRows)]
	sort.SliceStable(shown, func(i, j int) bool { return shown[i].StartMS < shown[j].StartMS })
	for _, s := range shown {
		rows = append(rows, []string{formatSeconds(float64(s.StartMS) / 1000), human.MS(s.LengthMS), s.Phase, s.Cause,
			strings.Join(s.Workloads, ", "), human.Count(s.Requests), human.MS(s.MaxLatencyMS), human.Clip(s.Detail, detail)})
	}
	return rows, len(stalls) - len(shown)
}

// stallSummary is one line: how many stalls, by cause, and the rule.
func stallSummary(r *result.Result) string {
	byCause := map[string]int{}
	for _, s := range r.Stalls {
		byCause[s.Cause]++
	}
	causes := make([]string, 0, len(byCause))
	for c := range byCause {
		causes = append(causes, c)
	}
	sort.Strings(causes)
	parts := make([]string, len(causes))
	for i, c := range causes {
		parts[i] = fmt.Sprintf("%d %s", byCause[c], c)
	}
	line := fmt.Sprintf("%d %s", len(r.Stalls), plural(len(r.Stalls), "stall", "stalls"))
	if len(parts) > 0 {
		line += " (" + strings.Join(parts, ", ") + ")"
	}
	if r.StallRule != nil {
		line += fmt.Sprintf("; a stall is a window of requests at least %s and %gx the workload's baseline p99", human.MS(r.StallRule.MinMS), r.StallRule.Multiple)
	}
	return line + "."
}

// harnessSummary says whether the client kept up, "" without a self-check.
func harnessSummary(r *result.Result) string {
	h := r.Harness
	if h == nil {
		return ""
	}
	line := fmt.Sprintf("Load generator: %s CPU over %s wall (%.0f%% of a core), GC pauses %s (longest ≤ %s)",
		human.MS(h.CPUMS), human.MS(h.WallMS), 100*h.CPUMS/math.Max(h.WallMS, 1), human.MS(h.GCPauseMS), human.MS(h.GCPauseMaxMS))
	if h.StarvedSeconds == 0 {
		return line + fmt.Sprintf("; it sent on time in every second (scheduler never %s late).", human.MS(h.LagLimitMS))
	}
	line += fmt.Sprintf("; starved (≥ %s late) in %d %s", human.MS(h.LagLimitMS), h.StarvedSeconds, plural(h.StarvedSeconds, "second", "seconds"))
	names := make([]string, 0, len(h.StarvedRequests))
	for w := range h.StarvedRequests {
		names = append(names, w)
	}
	sort.Strings(names)
	for i, w := range names {
		if i == 0 {
			line += ", with "
		} else {
			line += ", "
		}
		line += fmt.Sprintf("%s %s requests", human.Count(h.StarvedRequests[w]), w)
	}
	return line + " scheduled in them."
}

// noiseSummary states the baseline noise measured per workload.
func noiseSummary(r *result.Result) string {
	var parts []string
	for _, n := range r.Noise {
		parts = append(parts, fmt.Sprintf("%s %.2fx over %d windows", n.Workload, n.Spread, len(n.Windows)))
	}
	if len(parts) == 0 {
		return ""
	}
	return "Baseline noise (max/min window p99): " + strings.Join(parts, "; ") + "."
}

// waitProfileRows are the per-phase wait profiles of the traffic workloads
// and the migration: the three most frequent events of each.
func waitProfileRows(r *result.Result) [][]string {
	if r.WaitEvents == nil {
		return nil
	}
	var rows [][]string
	for _, p := range r.WaitEvents.ByPhase {
		if strings.HasPrefix(p.Workload, "server:") {
			continue
		}
		var top []string
		for i, w := range p.Waits {
			if i == 3 {
				break
			}
			top = append(top, fmt.Sprintf("%s %.0f%%", w.Event, 100*w.Share))
		}
		rows = append(rows, []string{p.Phase, p.Workload, human.Count(p.Samples), strings.Join(top, ", ")})
	}
	return rows
}

// stalls prints the stall table and the harness line.
func (p *printer) stalls(r *result.Result) {
	if r.StallRule == nil && r.Harness == nil {
		return
	}
	p.printf("\nStalls: %s\n", stallSummary(r))
	if rows, more := stallRows(r, 100); len(rows) > 0 {
		p.table(stallHeader, rows)
		if more > 0 {
			p.printf("… and %d more stalls (all in the JSON result)\n", more)
		}
	}
	for _, line := range []string{noiseSummary(r), harnessSummary(r)} {
		if line != "" {
			p.printf("%s\n", line)
		}
	}
	if r.Verdict.Invalid {
		p.printf("INVALID: %s\n", r.Verdict.InvalidReason)
	}
}

// stalls writes the stall section of the Markdown report.
func (m *mdWriter) stalls(r *result.Result) {
	if r.StallRule == nil && r.Harness == nil {
		return
	}
	m.printf("#### Stalls\n\n%s\n\n", mdText(stallSummary(r), m.lim.cell*3))
	if rows, more := stallRows(r, m.lim.cell); len(rows) > 0 {
		for i := range rows {
			for k := range rows[i] {
				rows[i][k] = mdText(rows[i][k], m.lim.cell)
			}
		}
		m.table(stallHeader, "|--:|--:|---|---|---|--:|--:|---|", rows)
		m.more(more, "stalls")
		m.printf("\n")
	}
	for _, line := range []string{noiseSummary(r), harnessSummary(r)} {
		if line != "" {
			m.printf("%s\n\n", mdText(line, m.lim.cell*3))
		}
	}
	if r.Verdict.Invalid {
		m.printf("**Invalid:** %s\n\n", mdText(r.Verdict.InvalidReason, m.lim.cell*2))
	}
}

// htmlStalls is the stall section of the HTML page.
type htmlStalls struct {
	Summary, Harness, Noise, Invalid string
	Table, Waits                     htmlTable
}

func newHTMLStalls(r *result.Result) *htmlStalls {
	if r.StallRule == nil && r.Harness == nil {
		return nil
	}
	rows, more := stallRows(r, 300)
	s := &htmlStalls{Summary: stallSummary(r), Harness: harnessSummary(r), Noise: noiseSummary(r),
		Table: htmlTable{Header: stallHeader, Rows: rows, More: more},
		Waits: htmlTable{Header: []string{"phase", "workload", "backend-samples", "most frequent wait events"}, Rows: waitProfileRows(r)}}
	if r.Verdict.Invalid {
		s.Invalid = r.Verdict.InvalidReason
	}
	return s
}

// stallMarks marks each stall on a time plot: a band coloured by its cause
// along the top, with the cause as its label and tooltip.
func stallMarks(p *plot, r *result.Result) {
	for _, s := range r.Stalls {
		from, to := float64(s.StartMS)/1000, (float64(s.StartMS)+s.LengthMS)/1000
		x0, x1 := p.x(math.Max(from, p.t0)), p.x(math.Min(to, p.t1))
		p.printf(`<rect class="stall-cause" x="%s" y="%s" width="%s" height="8" fill="%s"><title>%s</title></rect>`,
			num(x0), num(p.top), num(math.Max(x1-x0, 2)), causeColour(s.Cause),
			esc(fmt.Sprintf("stall %s at %s: %s — %s", human.MS(s.LengthMS), formatSeconds(from), s.Cause, s.Detail)))
		p.printf(`<text x="%s" y="%s" font-size="10" fill="%s">%s</text>`, num(x0), num(p.top+18), causeColour(s.Cause), esc(s.Cause))
	}
}

// stallsTemplate defines the page's "stalls" section.
const stallsTemplate = `{{define "stalls"}}{{with .Stalls}}<h2>Stalls</h2>
<p>{{.Summary}}</p>
{{if .Table.Rows}}<table>
<tr>{{range .Table.Header}}<th>{{.}}</th>{{end}}</tr>
{{range .Table.Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>{{if .Table.More}}<p class="note">… and {{.Table.More}} more stalls (all in the JSON result).</p>{{end}}{{end}}
{{if .Invalid}}<p><strong>Invalid:</strong> {{.Invalid}}</p>{{end}}
{{if .Noise}}<p class="note">{{.Noise}}</p>{{end}}
{{if .Harness}}<p class="note">{{.Harness}}</p>{{end}}
{{if .Waits.Rows}}<h2>Wait events</h2>
<p class="note">What the active backends waited on, per phase (pg_stat_activity with each lock-monitor sample; CPU: no wait event).</p>
<table>
<tr>{{range .Waits.Header}}<th>{{.}}</th>{{end}}</tr>
{{range .Waits.Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>{{end}}{{end}}{{end}}`
