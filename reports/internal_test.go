package reports

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rehearse/rehearse/internal/human"
	"github.com/rehearse/rehearse/result"
)

func loadFixture(t *testing.T, name string) *result.Result {
	t.Helper()
	r, err := ReadJSON(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestMermaidBlocksFollowTheGrammar(t *testing.T) {
	t.Parallel()
	cases := map[string]*result.Result{"huge": hugeResult()}
	for _, name := range []string{"unsafe.json", "unsafe-full.json", "rename.json"} {
		cases[name] = loadFixture(t, name)
	}
	for name, r := range cases {
		var buf bytes.Buffer
		if err := Markdown(&buf, r); err != nil {
			t.Fatal(err)
		}
		blocks := mermaidBlocks(buf.String())
		if len(blocks) == 0 {
			t.Errorf("%s: no mermaid block", name)
		}
		for i, b := range blocks {
			if err := checkXYChart(b); err != nil {
				t.Errorf("%s: block %d: %v\n%s", name, i, err, b)
			}
		}
	}
}

func TestCheckXYChartRejectsWhatMermaidWouldNot(t *testing.T) {
	t.Parallel()
	good := "xychart-beta\n    title \"t\"\n    x-axis \"s\" [\"0\", \"1\"]\n    y-axis \"ms\" 0 --> 10\n    bar [0, 10]\n    line [1.5, 2]\n"
	if err := checkXYChart(good); err != nil {
		t.Fatalf("the reference chart fails: %v", err)
	}
	for name, bad := range map[string]string{
		"no header":           "title \"t\"\nline [1]\n",
		"unquoted text":       strings.Replace(good, `title "t"`, "title line chart", 1),
		"exponent":            strings.Replace(good, "[1.5, 2]", "[1e3, 2]", 1),
		"length mismatch":     strings.Replace(good, "[1.5, 2]", "[1.5, 2, 3]", 1),
		"duplicate category":  strings.Replace(good, `["0", "1"]`, `["0", "0"]`, 1),
		"above the y range":   strings.Replace(good, "[1.5, 2]", "[1.5, 20]", 1),
		"unterminated string": strings.Replace(good, `title "t"`, `title "t`, 1),
		"bad directive":       "%%{init: {theme: forest}}%%\n" + good,
		"trailing comma":      strings.Replace(good, "[0, 10]", "[0, 10,]", 1),
		"unknown statement":   good + "    area [1, 2]\n",
	} {
		if err := checkXYChart(bad); err == nil {
			t.Errorf("%s: accepted\n%s", name, bad)
		}
	}
}

func TestMermaidMarksTheStepAndTheSpike(t *testing.T) {
	t.Parallel()
	r := loadFixture(t, "unsafe-full.json")
	chart, ok := mermaidLatency(r, r.Workloads[0], 40)
	if !ok {
		t.Fatal("no chart")
	}
	// widen ran from 10.0s to 12.1s: bars at 10, 11, 12; the 1.96s p99 of
	// the requests released at 12s is in the line at 12.
	if !strings.Contains(chart, `"10 widen"`) {
		t.Errorf("the x label where the step begins does not name it:\n%s", chart)
	}
	bars := seriesOf(t, chart, "bar")
	line := seriesOf(t, chart, "line")
	for i, v := range bars {
		inStep := i >= 10 && i <= 12
		if (v > 0) != inStep {
			t.Errorf("bar %d = %v, want a bar only in 10..12", i, v)
		}
	}
	if line[12] < 1900 || line[12] > bars[12] {
		t.Errorf("p99 at 12s = %v, want the 1.96s spike under the %v bar", line[12], bars[12])
	}
}

func seriesOf(t *testing.T, chart, kind string) []float64 {
	t.Helper()
	for _, l := range strings.Split(chart, "\n") {
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, kind+" [") {
			continue
		}
		var out []float64
		for _, f := range strings.Split(strings.Trim(strings.TrimPrefix(l, kind+" "), "[]"), ",") {
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, v)
		}
		return out
	}
	t.Fatalf("no %s series in\n%s", kind, chart)
	return nil
}

func TestMarkdownStaysUnderTheLimit(t *testing.T) {
	t.Parallel()
	r := hugeResult()
	var buf bytes.Buffer
	if err := Markdown(&buf, r); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	if len(md) > MarkdownLimit {
		t.Fatalf("%d bytes, limit %d", len(md), MarkdownLimit)
	}
	if !strings.HasPrefix(md, "### ❌ FAIL · ") {
		t.Errorf("the verdict is not first: %q", human.Clip(md, 80))
	}
	for _, want := range []string{"… and ", "more failed checks", "more steps", "more wait events", "#### Reproduce", "```mermaid"} {
		if !strings.Contains(md, want) {
			t.Errorf("the cut report lacks %q", want)
		}
	}
	if strings.Count(md, "```")%2 != 0 {
		t.Error("a code fence is left open")
	}
	// The cut is by list, not by bytes: every table row is whole.
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "|") && !strings.HasSuffix(line, "|") {
			t.Fatalf("a table row is cut: %q", human.Clip(line, 100))
		}
	}

	// And the summary of many such scenarios.
	suites := make([]Suite, 500)
	for i := range suites {
		suites[i] = Suite{Name: fmt.Sprintf("scenario-%03d", i), Result: r, Baseline: strings.Repeat("b", 300)}
	}
	buf.Reset()
	if err := SummaryMarkdown(&buf, suites); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > MarkdownLimit || !strings.Contains(buf.String(), "more scenarios") {
		t.Errorf("summary of 500 scenarios: %d bytes, cut notice present: %v", buf.Len(), strings.Contains(buf.String(), "more scenarios"))
	}
}

func TestCutMarkdownClosesFencesAndKeepsUTF8(t *testing.T) {
	t.Parallel()
	s := "### x\n```mermaid\n" + strings.Repeat("ü line\n", 20000)
	out := cutMarkdown(s, MarkdownLimit)
	if len(out) > MarkdownLimit || strings.Count(out, "```")%2 != 0 || !strings.Contains(out, "report cut") {
		t.Errorf("len %d, fences %d", len(out), strings.Count(out, "```"))
	}
	if !strings.HasSuffix(strings.TrimSpace(out), "JSON.") {
		t.Errorf("ends %q", out[len(out)-40:])
	}
}

// TestLockSpikeInsideStepBand checks the geometry of the HTML latency chart
// for the unsafe example: the lock wait drawn as it grew ends inside the
// shaded band of the step that caused it, near the top of the chart.
func TestLockSpikeInsideStepBand(t *testing.T) {
	t.Parallel()
	r := loadFixture(t, "unsafe-full.json")
	svg := latencyChart(r)
	var doc struct {
		Rects []struct {
			Class string  `xml:"class,attr"`
			X     float64 `xml:"x,attr"`
			Width float64 `xml:"width,attr"`
		} `xml:"rect"`
		Polylines []struct {
			Class  string `xml:"class,attr"`
			Points string `xml:"points,attr"`
		} `xml:"polyline"`
	}
	if err := xml.Unmarshal([]byte(svg), &doc); err != nil {
		t.Fatal(err)
	}
	var bandFrom, bandTo float64
	for _, rect := range doc.Rects {
		if rect.Class == "step" {
			bandFrom, bandTo = rect.X, rect.X+rect.Width
		}
	}
	if bandTo == 0 {
		t.Fatal("no step band")
	}
	ramps := 0
	for _, pl := range doc.Polylines {
		if pl.Class != "lockwait" {
			continue
		}
		ramps++
		pts := strings.Fields(pl.Points)
		first, last := point(t, pts[0]), point(t, pts[len(pts)-1])
		if first[0] < bandFrom || last[0] > bandTo {
			t.Errorf("lock wait drawn from x=%.1f to %.1f, outside the step band %.1f..%.1f", first[0], last[0], bandFrom, bandTo)
		}
		if last[1] > first[1]-150 {
			t.Errorf("lock wait of ~2s rises only from y=%.1f to %.1f", first[1], last[1])
		}
	}
	if ramps != 8 {
		t.Errorf("%d lock waits drawn, want the 8 of the result", ramps)
	}
}

func point(t *testing.T, s string) [2]float64 {
	t.Helper()
	x, y, _ := strings.Cut(s, ",")
	fx, err1 := strconv.ParseFloat(x, 64)
	fy, err2 := strconv.ParseFloat(y, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("point %q", s)
	}
	return [2]float64{fx, fy}
}

func TestNiceCeilAndTrimFloat(t *testing.T) {
	t.Parallel()
	for in, want := range map[float64]float64{0: 1, 0.3: 0.5, 1: 1, 1957.9: 2000, 2001: 5000, 7: 10, 1e-3: 1e-3} {
		if got := niceCeil(in); got != want {
			t.Errorf("niceCeil(%v) = %v, want %v", in, got, want)
		}
	}
	for in, want := range map[float64]string{1957.887: "1957.89", 2: "2", 0.001: "0", 1e21: "1000000000000000000000", -0.001: "0"} {
		if got := trimFloat(in, 2); got != want {
			t.Errorf("trimFloat(%v) = %q, want %q", in, got, want)
		}
	}
}

// hugeResult is a synthetic result far larger than any Markdown comment:
// long names full of Markdown characters, hundreds of steps, queries and
// failed checks, thousands of lock waits, an hour of timeline.
func hugeResult() *result.Result {
	long := strings.Repeat("a|b`c*d_e<f>[g] ", 40)
	r := &result.Result{SchemaVersion: result.SchemaVersion, Scenario: "huge " + long, DurationMS: 3_600_000,
		StartedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Seed: 1, Status: result.StatusCompleted,
		Command:  "rehearse huge.yaml --seed 1 " + long,
		Postgres: result.Postgres{Provider: "local", Version: "16.4 (Debian)"}}
	r.Phases = append(r.Phases, result.Phase{Name: "baseline", StartMS: 0, EndMS: 10_000})
	for i := range 300 {
		name := fmt.Sprintf("step-%03d-%s", i, long[:30])
		start := int64(10_000 + i*10_000)
		r.Phases = append(r.Phases, result.Phase{Name: name, StartMS: start, EndMS: start + 10_000})
		step := result.Step{Name: name, DurationMS: 10_000, Rewrote: []string{"t"}, Error: long}
		for j := range 20 {
			step.Locks = append(step.Locks, result.StepLock{Relation: fmt.Sprintf("rel_%d_%s", j, long[:20]), Mode: "AccessExclusiveLock", HeldMS: 9_999})
		}
		r.Steps = append(r.Steps, step)
	}
	r.Phases = append(r.Phases, result.Phase{Name: "cooldown", StartMS: 3_010_000, EndMS: 3_600_000})
	for i := range 500 {
		r.Verdict.Checks = append(r.Verdict.Checks, result.Check{Name: fmt.Sprintf("check_%d", i), Limit: "1ms", Observed: long, Pass: i%5 == 0})
	}
	for i := range 3000 {
		r.LockWaits.Events = append(r.LockWaits.Events, result.LockEvent{Workload: "old", Query: long, Relation: "t",
			Mode: "AccessShareLock", BlockedBy: long, StartMS: int64(i * 1000), WaitMS: float64(i), Phase: "baseline"})
	}
	r.LockWaits.Count, r.LockWaits.MaxMS, r.LockWaits.EventsOmitted = 3000, 2999, 12345
	for _, wname := range []string{"old", "new"} {
		w := result.Workload{Name: wname, TargetRate: 100, AchievedRate: 99}
		for q := range 200 {
			query := result.Query{Name: fmt.Sprintf("q%d_%s", q, long[:20]), Count: 10, ByPhase: map[string]result.PhaseStats{}}
			for _, ph := range r.Phases {
				query.ByPhase[ph.Name] = result.PhaseStats{Count: 10, P99MS: 1}
			}
			w.Queries = append(w.Queries, query)
			for _, ph := range r.Phases[1:301] {
				r.Compatibility = append(r.Compatibility, result.Compatibility{Workload: wname, Query: query.Name, AfterStep: ph.Name, OK: q%7 != 0, SQLState: "42703"})
			}
		}
		for s := range int64(3600) {
			w.Timeline = append(w.Timeline, result.TimelinePt{TS: s, Count: 100, P50MS: 1, P99MS: float64(s % 97)})
		}
		r.Workloads = append(r.Workloads, w)
	}
	r.Verdict.Pass = false
	return r
}

func TestLintRowsShowProof(t *testing.T) {
	t.Parallel()
	r := &result.Result{Lint: []result.LintFinding{
		{Rule: "a", Proof: "confirmed"},
		{Rule: "b", Proof: "mismatch", ProofDetail: "no rewrite seen"},
		{Rule: "c", Proof: "not exercised"},
	}}
	rows := lintRows(r)
	for i, want := range []string{"not run (confirmed)", "not run — MISMATCH with the rule: no rewrite seen", "not run"} {
		if rows[i].Observed != want {
			t.Errorf("%s: observed %q, want %q", r.Lint[i].Rule, rows[i].Observed, want)
		}
	}
}
