package reports

import (
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/rehearse/rehearse/internal/human"
	"github.com/rehearse/rehearse/result"
)

// maxHTMLRows bounds the rows of each table of the HTML report; the JSON
// result has them all.
const maxHTMLRows = 200

// HTML writes the report as one self-contained page: no scripts, no
// fonts, nothing fetched. Charts are inline SVG: latency p50/p99 per
// workload over time with the migration steps as shaded bands, throughput
// and errors over time, and lock waits as a timeline; then the tables of
// the Markdown report. The page is well-formed XML (polyglot XHTML).
func HTML(w io.Writer, r *result.Result) error {
	return htmlPage.Execute(w, newHTMLView(r))
}

// htmlView is what the page template reads.
type htmlView struct {
	R                      *result.Result
	Verdict, Class         string
	Version, Rows, Bytes   string
	Migration, Total       string
	Failed                 []result.Check
	Checks                 []result.Check
	Latency, Throughput    template.HTML
	Locks                  template.HTML
	Steps                  []htmlStep
	Workloads              []htmlWorkload
	Waits                  htmlTable
	WaitSummary, Blocker   string
	Compat                 htmlTable
	Command, Started       string
	MonitorNote, AbortNote string
	// Stalls is the stall section (stalls.go); nil without stall detection.
	Stalls *htmlStalls
}

type htmlStep struct {
	Name, Duration, Rewrote, Outcome string
	Locks                            []string
	Failed                           bool
}

type htmlWorkload struct {
	Name, Summary string
	Table         htmlTable
}

type htmlTable struct {
	Header []string
	Rows   [][]string
	More   int
}

func newHTMLView(r *result.Result) htmlView {
	v := htmlView{R: r, Verdict: verdictWord(r), Class: strings.ToLower(verdictWord(r)),
		Version: shortVersion(r.Postgres.Version), Rows: human.Count(totalRows(r)),
		Migration: human.MS(float64(migrationMS(r))), Total: human.MS(float64(r.DurationMS)),
		Failed: failedChecks(r), Checks: r.Verdict.Checks, Command: r.Command,
		Started: r.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC")}
	if b := totalBytes(r); b > 0 {
		v.Bytes = human.Bytes(b)
	}
	if r.Status == result.StatusAborted {
		v.AbortNote = fmt.Sprintf("Aborted in %s: %s", r.AbortedIn, r.Error)
	}
	if len(r.Workloads) > 0 {
		v.Latency = template.HTML(latencyChart(r))
		v.Throughput = template.HTML(throughputChart(r))
	}
	v.Locks = template.HTML(lockTimeline(r))
	for _, s := range r.Steps {
		hs := htmlStep{Name: s.Name, Duration: human.MS(float64(s.DurationMS)), Rewrote: strings.Join(s.Rewrote, ", "),
			Outcome: stepOutcome(s), Failed: s.Error != ""}
		for _, l := range s.Locks {
			hs.Locks = append(hs.Locks, fmt.Sprintf("%s %s %s", l.Relation, modeShort(l.Mode), human.MS(l.HeldMS)))
		}
		v.Steps = append(v.Steps, hs)
	}
	phases := phaseOrder(r)
	for _, w := range r.Workloads {
		hw := htmlWorkload{Name: w.Name, Summary: fmt.Sprintf("target %.0f/s, achieved %.1f/s", w.TargetRate, w.AchievedRate)}
		if w.Dropped > 0 {
			hw.Summary += fmt.Sprintf(", %s requests dropped (the generator fell behind)", human.Count(w.Dropped))
		}
		rows := workloadRows(w, phases)
		hw.Table = htmlTable{Header: []string{"query", "phase", "count", "errors", "p50", "p95", "p99", "max"},
			Rows: rows[:min(len(rows), maxHTMLRows)], More: len(rows) - min(len(rows), maxHTMLRows)}
		v.Workloads = append(v.Workloads, hw)
	}
	v.lockWaits(r)
	v.compat(r)
	v.Stalls = newHTMLStalls(r)
	return v
}

func (v *htmlView) lockWaits(r *result.Result) {
	lw := r.LockWaits
	v.WaitSummary = fmt.Sprintf("Traffic waited %d %s, max %s, total %s.", lw.Count, plural(lw.Count, "time", "times"), human.MS(lw.MaxMS), human.MS(lw.TotalMS))
	if lw.Monitor != nil {
		v.MonitorNote = fmt.Sprintf("Sampled %s (%d samples, %s each on average).",
			sampling(lw.Monitor), lw.Monitor.Samples, human.MS(lw.Monitor.MeanSampleMS))
	}
	if b, ok := worstBlocker(r); ok {
		v.Blocker = fmt.Sprintf("Worst blocker: %s (%s), %d %s, %s in all.", human.Clip(b.Statement, 300), b.App, b.Waits, plural(b.Waits, "wait", "waits"), human.MS(b.TotalMS))
	}
	events := append([]result.LockEvent(nil), lw.Events...)
	sortLongestFirst(events)
	shown := events[:min(len(events), maxHTMLRows)]
	v.Waits = htmlTable{Header: []string{"workload", "query", "relation", "wanted", "waited", "start", "phase", "blocked by"},
		More: len(events) + lw.EventsOmitted - len(shown)}
	for _, e := range shown {
		v.Waits.Rows = append(v.Waits.Rows, []string{e.Workload, human.Clip(e.Query, 80), e.Relation, modeShort(e.Mode),
			human.MS(e.WaitMS), formatSeconds(float64(e.StartMS) / 1000), e.Phase, human.Clip(e.BlockedBy, 200)})
	}
}

func (v *htmlView) compat(r *result.Result) {
	if len(r.Compatibility) == 0 {
		return
	}
	cm := buildCompat(r)
	v.Compat.Header = []string{"workload", "query"}
	for _, s := range cm.Steps {
		v.Compat.Header = append(v.Compat.Header, compatHeader(s, func(s string) string { return s }))
	}
	for _, row := range cm.Rows {
		cells := []string{row.Workload, row.Query}
		for _, s := range cm.Steps {
			c, ok := row.Cells[s]
			switch {
			case !ok:
				cells = append(cells, "·")
			case c.OK:
				cells = append(cells, "ok")
			case c.Running:
				cells = append(cells, strings.TrimSpace("broken "+c.SQLState))
			default:
				cells = append(cells, strings.TrimSpace("broken "+c.SQLState)+" (not serving then)")
			}
		}
		v.Compat.Rows = append(v.Compat.Rows, cells)
	}
}

var htmlFuncs = template.FuncMap{
	"ms":   func(v int64) string { return human.MS(float64(v)) },
	"cell": cellClass,
}

// cellClass colours table cells that carry a finding.
func cellClass(s string) string {
	switch {
	case s == "FAIL" || strings.HasPrefix(s, "broken") || strings.HasPrefix(s, "FAILED"):
		return "bad"
	case s == "ok" || s == "pass":
		return "good"
	}
	return ""
}

var htmlPage = template.Must(template.New("page").Funcs(htmlFuncs).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>{{.Verdict}}: {{.R.Scenario}}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1240px; padding: 16px; color: #222; background: #fff; }
header { border-left: 8px solid #888; padding: 8px 16px; margin-bottom: 16px; background: #f6f6f6; }
header.pass { border-color: #2e7d32; } header.fail { border-color: #c62828; } header.aborted { border-color: #ef6c00; }
header h1 { margin: 0 0 4px 0; font-size: 22px; }
.pass h1 .v { color: #2e7d32; } .fail h1 .v { color: #c62828; } .aborted h1 .v { color: #ef6c00; }
h2 { font-size: 17px; margin: 24px 0 8px 0; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
table { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.bad { color: #c62828; font-weight: bold; } td.good { color: #2e7d32; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12px; }
pre { background: #f6f6f6; padding: 8px; overflow-x: auto; }
figure { margin: 8px 0 16px 0; } .note { color: #555; font-size: 13px; }
</style>
</head>
<body>
<header class="{{.Class}}">
<h1><span class="v">{{.Verdict}}</span> · {{.R.Scenario}}</h1>
<div>PostgreSQL {{.Version}} ({{.R.Postgres.Provider}}) · {{.Rows}} rows{{if .Bytes}} ({{.Bytes}}){{end}} · migration {{.Migration}} · total {{.Total}} · seed {{.R.Seed}}</div>
{{if .AbortNote}}<div><strong>{{.AbortNote}}</strong></div>{{end}}
</header>
<h2>Checks</h2>
{{if .Checks}}<table>
<tr><th>check</th><th>limit</th><th>observed</th><th>result</th></tr>
{{range .Checks}}<tr><td><code>{{.Name}}</code></td><td>{{.Limit}}</td><td>{{.Observed}}</td>{{if .Pass}}<td class="good">pass</td>{{else}}<td class="bad">FAIL</td>{{end}}</tr>
{{end}}</table>{{else}}<p class="note">No checks were made.</p>{{end}}
{{if .Latency}}<h2>Latency</h2>
<figure>{{.Latency}}</figure>
<p class="note">Each line holds, for one second, the percentile of the requests that completed in it; latency is measured from each request's scheduled time, so a request held by a lock shows when the lock is released. The dotted ramps are the lock waits seen by the lock monitor, drawn as they grew.</p>
<h2>Throughput and errors</h2>
<figure>{{.Throughput}}</figure>{{end}}
<h2>Lock waits</h2>
<p>{{.WaitSummary}} {{.Blocker}} <span class="note">{{.MonitorNote}}</span></p>
<figure>{{.Locks}}</figure>
{{if .Waits.Rows}}<table>
<tr>{{range .Waits.Header}}<th>{{.}}</th>{{end}}</tr>
{{range .Waits.Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>{{if .Waits.More}}<p class="note">… and {{.Waits.More}} more wait events (all in the JSON result).</p>{{end}}{{end}}
{{template "stalls" .}}
{{if .Steps}}<h2>Migration steps</h2>
<table>
<tr><th>step</th><th>duration</th><th>strongest lock per relation</th><th>rewrote</th><th>outcome</th></tr>
{{range .Steps}}<tr><td><code>{{.Name}}</code></td><td>{{.Duration}}</td><td>{{range $i, $l := .Locks}}{{if $i}}<br/>{{end}}{{$l}}{{end}}</td><td>{{.Rewrote}}</td>{{if .Failed}}<td class="bad">{{.Outcome}}</td>{{else}}<td>{{.Outcome}}</td>{{end}}</tr>
{{end}}</table>{{end}}
{{range .Workloads}}<h2>Workload {{.Name}}</h2>
<p>{{.Summary}}</p>
<table>
<tr>{{range .Table.Header}}<th>{{.}}</th>{{end}}</tr>
{{range .Table.Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>{{if .Table.More}}<p class="note">… and {{.Table.More}} more rows (all in the JSON result).</p>{{end}}
{{end}}
{{if .Compat.Rows}}<h2>Compatibility</h2>
<p class="note">Does each query still prepare against the schema after each step?</p>
<table>
<tr>{{range .Compat.Header}}<th>{{.}}</th>{{end}}</tr>
{{range .Compat.Rows}}<tr>{{range .}}<td class="{{cell .}}">{{.}}</td>{{end}}</tr>
{{end}}</table>{{end}}
<h2>Reproduce</h2>
{{if .Command}}<pre>{{.Command}}</pre>{{else}}<p class="note">The command line was not recorded in this result; the seed was {{.R.Seed}}.</p>{{end}}
<p class="note">rehearse {{with .R.ToolVersion}}{{.}} · {{end}}result schema {{.R.SchemaVersion}} · started {{.Started}}</p>
</body>
</html>
` + stallsTemplate))
