package reports

import (
	"fmt"
	"io"
	"strings"

	"github.com/rehearse/rehearse/internal/human"
	"github.com/rehearse/rehearse/result"
)

// Suite is one scenario of a multi-scenario report (nightly mode): its
// result, or why it could not run.
type Suite struct {
	// Name names the suite; nightly mode uses the scenario file's stem.
	Name string
	// Path is the scenario file, when known.
	Path string
	// Result is nil when the rehearsal could not run.
	Result *result.Result
	// Err says why the rehearsal could not run or stopped part way.
	Err string
	// Baseline says what the result was compared with: the previous
	// result's path, or why there was no comparison. Empty without --baseline.
	Baseline string
	// Report is the path of the suite's Markdown report, relative to the
	// summary, for links.
	Report string
}

// Outcome is how one suite ended, for exit codes and summaries.
type Outcome int

// Outcomes, from best to worst.
const (
	OutcomePass Outcome = iota
	OutcomeFail
	// OutcomeCannotRun: the rehearsal did not start or stopped part way,
	// or it ran but cannot be judged (Verdict.Invalid: the harness was
	// starved), which exits 2 for a single rehearsal too.
	OutcomeCannotRun
)

// Outcome tells whether the suite passed, failed or could not run.
func (s Suite) Outcome() Outcome {
	switch {
	case s.Result == nil || s.Result.Status != result.StatusCompleted || s.Result.Verdict.Invalid:
		return OutcomeCannotRun
	case !s.Result.Verdict.Pass:
		return OutcomeFail
	}
	return OutcomePass
}

func (o Outcome) String() string {
	return [...]string{"PASS", "FAIL", "COULD NOT RUN"}[o]
}

// tally counts suites per outcome.
func tally(suites []Suite) (counts [3]int) {
	for _, s := range suites {
		counts[s.Outcome()]++
	}
	return counts
}

// summaryHeadline is the one-line verdict of a set of suites.
func summaryHeadline(suites []Suite) string {
	c := tally(suites)
	word := "PASS"
	switch {
	case c[OutcomeCannotRun] > 0:
		word = "COULD NOT RUN"
	case c[OutcomeFail] > 0:
		word = "FAIL"
	}
	return fmt.Sprintf("%s: %d scenarios, %d passed, %d failed, %d could not run",
		word, len(suites), c[OutcomePass], c[OutcomeFail], c[OutcomeCannotRun])
}

// SummaryText writes one block per suite (verdict, failed checks, what it
// was compared with) and a headline with the totals.
func SummaryText(w io.Writer, suites []Suite) error {
	p := &printer{w: w}
	p.printf("%s\n", summaryHeadline(suites))
	for _, s := range suites {
		p.printf("\n%-14s %s", s.Outcome(), s.Name)
		if r := s.Result; r != nil {
			p.printf(" (%s): migration %s, max lock wait %s, total %s", r.Scenario,
				human.MS(float64(migrationMS(r))), human.MS(r.LockWaits.MaxMS), human.MS(float64(r.DurationMS)))
		}
		p.printf("\n")
		if s.Err != "" {
			p.printf("  ! %s\n", human.Clip(s.Err, 300))
		}
		if s.Result != nil {
			for _, c := range failedChecks(s.Result) {
				p.printf("  ✗ %s: observed %s, limit %s\n", c.Name, human.Clip(c.Observed, 200), c.Limit)
			}
		}
		if s.Baseline != "" {
			p.printf("  baseline: %s\n", s.Baseline)
		}
	}
	return p.err
}

// SummaryMarkdown writes the suites as a Markdown table with the failed
// checks of each, regressions included, under MarkdownLimit bytes.
func SummaryMarkdown(w io.Writer, suites []Suite) error {
	return writeFitted(w, func(lim mdLimits) string { return renderSummary(suites, lim) })
}

func renderSummary(suites []Suite, lim mdLimits) string {
	m := &mdWriter{lim: lim}
	icon := map[Outcome]string{OutcomePass: "✅", OutcomeFail: "❌", OutcomeCannotRun: "⚠️"}
	worst := OutcomePass
	for _, s := range suites {
		worst = max(worst, s.Outcome())
	}
	m.printf("### %s %s\n\n", icon[worst], summaryHeadline(suites))
	shown := suites[:min(len(suites), lim.rows*4)]
	rows := make([][]string, 0, len(shown))
	for _, s := range shown {
		name := "`" + mdCode(s.Name, 60) + "`"
		if s.Report != "" {
			name = fmt.Sprintf("[%s](%s)", mdText(s.Name, 60), strings.ReplaceAll(s.Report, " ", "%20"))
		}
		row := []string{name, icon[s.Outcome()] + " " + s.Outcome().String(), "", "", ""}
		if r := s.Result; r != nil {
			row[2] = human.MS(float64(migrationMS(r)))
			row[3] = human.MS(r.LockWaits.MaxMS)
		}
		row[4] = m.suiteFindings(s)
		rows = append(rows, row)
	}
	m.table([]string{"scenario", "verdict", "migration", "max lock wait", "failed checks"}, "llrrl", rows)
	m.more(len(suites)-len(shown), "scenarios")
	if notes := baselineNotes(suites); notes != "" {
		m.printf("\n%s", notes)
	}
	return m.b.String()
}

// suiteFindings lists a suite's failed checks, or why it could not run.
func (m *mdWriter) suiteFindings(s Suite) string {
	var parts []string
	if s.Err != "" {
		parts = append(parts, mdText(s.Err, m.lim.cell))
	}
	if s.Result != nil {
		failed := failedChecks(s.Result)
		for _, c := range failed[:min(len(failed), m.lim.rows/4+1)] {
			parts = append(parts, fmt.Sprintf("`%s` %s (limit %s)", mdCode(c.Name, 60), mdText(c.Observed, m.lim.cell/2), mdText(c.Limit, 60)))
		}
		if n := len(failed) - min(len(failed), m.lim.rows/4+1); n > 0 {
			parts = append(parts, fmt.Sprintf("… and %d more", n))
		}
	}
	return strings.Join(parts, "<br>")
}

func baselineNotes(suites []Suite) string {
	var b strings.Builder
	for _, s := range suites {
		if s.Baseline != "" {
			fmt.Fprintf(&b, "- `%s`: %s\n", mdCode(s.Name, 60), mdText(s.Baseline, 200))
		}
	}
	if b.Len() == 0 {
		return ""
	}
	return "Baselines:\n\n" + b.String()
}
