// Package proof compares lint's findings with what a rehearsal measured:
// the locks, rewrites and scans of each statement, and how the step ended.
// A rehearsal marks each finding with the outcome, and the package's tests
// prove every rule on real PostgreSQL with a fixture: a small table with
// rows, the statement the rule flags, and its safe form.
package proof

import (
	"github.com/rehearse/rehearse/internal/pglock"
	"github.com/rehearse/rehearse/lint"
	"github.com/rehearse/rehearse/result"
)

// Measure is what step's trace says about its statement stmt (the text of
// a Finding's Statement). Locks are traced for statements of a step that
// ran in one transaction; outside one only the step's rewrites are known.
func Measure(step result.Step, stmt string) lint.Measured {
	if step.SQLState != "" {
		// A failed transaction leaves no trace; a failed statement its code.
		return lint.Measured{Ran: step.Statement == stmt, SQLState: step.SQLState}
	}
	if len(step.Statements) == 0 {
		return lint.Measured{Ran: true, Rewrote: step.Rewrote}
	}
	held := map[string]pglock.Mode{}
	for _, t := range step.Statements {
		before := clone(held)
		for _, l := range t.Locks {
			held[l.Relation] = max(held[l.Relation], pglock.Parse(l.Mode))
		}
		if t.SQL != stmt {
			continue
		}
		m := lint.Measured{Ran: true, Locks: held, Before: before, Rewrote: t.Rewrote, Scanned: []string{}}
		for _, s := range t.Scans {
			m.Scanned = append(m.Scanned, s.Relation)
		}
		return m
	}
	return lint.Measured{}
}

func clone(m map[string]pglock.Mode) map[string]pglock.Mode {
	out := make(map[string]pglock.Mode, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Mark checks each finding against the steps a rehearsal ran (matched by
// step name and statement) and returns the proof and its reason, in the
// order of findings.
func Mark(findings []lint.Finding, steps []result.Step) (proofs []lint.Proof, why []string) {
	byName := map[string]result.Step{}
	for _, s := range steps {
		byName[s.Name] = s
	}
	for _, f := range findings {
		s, ok := byName[f.Step]
		if !ok {
			proofs, why = append(proofs, lint.NotExercised), append(why, "the step did not run")
			continue
		}
		p, w := f.Check(Measure(s, f.Statement))
		proofs, why = append(proofs, p), append(why, w)
	}
	return proofs, why
}
