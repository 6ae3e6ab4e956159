package reports

import (
	"fmt"
	"strings"

	"github.com/rehearse/rehearse/internal/human"
	"github.com/rehearse/rehearse/result"
)

// lintRow is a static-check finding beside what the rehearsal measured for
// the same statement: did the predicted hazard hurt at this data size?
type lintRow struct {
	Finding   result.LintFinding
	Predicted string // the lock the rule predicts, "AccessExclusive on users"
	Observed  string // the lock the step was seen holding on that relation
	Hurt      string // what traffic suffered on that relation during the step
}

func lintRows(r *result.Result) []lintRow {
	rows := make([]lintRow, 0, len(r.Lint))
	for _, f := range r.Lint {
		row := lintRow{Finding: f, Predicted: lockText(f.Lock, f.Relation), Observed: "not run", Hurt: "-"}
		if s, ok := stepNamed(r, f.Step); ok {
			row.Observed = observedLock(s, f.Relation)
			row.Hurt = hurtDuring(r.LockWaits.Events, f.Step, f.Relation)
		}
		row.Observed += proofNote(f)
		rows = append(rows, row)
	}
	return rows
}

// proofNote says whether the measurement bore the rule out; a mismatch is
// spelled out, since it means the rule or the rehearsal is wrong.
func proofNote(f result.LintFinding) string {
	switch f.Proof {
	case "confirmed":
		return " (confirmed)"
	case "mismatch":
		return " — MISMATCH with the rule: " + f.ProofDetail
	}
	return ""
}

func lockText(mode, relation string) string {
	if mode == "" {
		return "-"
	}
	return strings.TrimSuffix(mode, "Lock") + " on " + relation
}

func stepNamed(r *result.Result, name string) (result.Step, bool) {
	for _, s := range r.Steps {
		if s.Name == name {
			return s, true
		}
	}
	return result.Step{}, false
}

func observedLock(s result.Step, relation string) string {
	for _, l := range s.Locks {
		if l.Relation == relation || relation == "" {
			return fmt.Sprintf("%s on %s for %s", strings.TrimSuffix(l.Mode, "Lock"), l.Relation, human.MS(l.HeldMS))
		}
	}
	return "no lock seen"
}

// hurtDuring summarises the traffic lock waits on relation during a step.
func hurtDuring(events []result.LockEvent, step, relation string) string {
	n, longest := 0, 0.0
	for _, e := range events {
		if e.Phase == step && result.IsTraffic(e.Workload) && (relation == "" || e.Relation == relation) {
			n++
			longest = max(longest, e.WaitMS)
		}
	}
	if n == 0 {
		return "no traffic waited at this size"
	}
	return fmt.Sprintf("%d traffic waits, longest %s", n, human.MS(longest))
}

func (p *printer) lint(r *result.Result) {
	rows := lintRows(r)
	if len(rows) == 0 {
		return
	}
	p.printf("\nStatic checks, beside what was measured\n")
	var body [][]string
	for _, row := range rows {
		f := row.Finding
		body = append(body, []string{f.Severity + " " + f.Rule, f.Step, human.Clip(f.Statement, 50), row.Predicted, row.Observed, row.Hurt, human.Clip(f.Safe, 60)})
	}
	p.table([]string{"finding", "step", "statement", "predicted", "observed", "hurt?", "safe alternative"}, body)
}

func (m *mdWriter) lint(r *result.Result) {
	rows := lintRows(r)
	if len(rows) == 0 {
		return
	}
	m.printf("**Static checks, beside what was measured**\n\n")
	shown := rows[:min(len(rows), m.lim.rows)]
	body := make([][]string, 0, len(shown))
	for _, row := range shown {
		f := row.Finding
		body = append(body, []string{mdText(f.Severity+" "+f.Rule, 40), mdText(f.Step, 40), "`" + mdCode(f.Statement, 80) + "`",
			mdText(row.Predicted, 60), mdText(row.Observed, 60), mdText(row.Hurt, 60), mdText(f.Safe, 160)})
	}
	m.table([]string{"finding", "step", "statement", "predicted", "observed", "hurt?", "safe alternative"}, "lllllll", body)
	m.more(len(rows)-len(shown), "findings")
	m.printf("\n")
}
