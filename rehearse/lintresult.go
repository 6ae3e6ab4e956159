package rehearse

import (
	"github.com/rehearse/rehearse/lint"
	"github.com/rehearse/rehearse/lint/proof"
	"github.com/rehearse/rehearse/result"
)

// LintFindings converts lint's findings into the result's form; never nil,
// so that an empty list stays a list in JSON.
func LintFindings(findings []lint.Finding) []result.LintFinding {
	out := make([]result.LintFinding, len(findings))
	for i, f := range findings {
		out[i] = result.LintFinding{Rule: f.Rule, Severity: f.Severity.String(), Step: f.Step, Statement: f.Statement,
			File: f.File, Line: f.Line, Column: f.Column, Relation: f.Relation, Lock: f.Lock, Message: f.Message, Safe: f.Safe}
		if f.Sized {
			out[i].TableRows, out[i].TableBytes = f.Rows, f.Bytes
		}
	}
	return out
}

// provenLintFindings converts the findings and marks each with how it
// compares with what the rehearsal measured for its statement.
func provenLintFindings(findings []lint.Finding, steps []result.Step) []result.LintFinding {
	out := LintFindings(findings)
	proofs, why := proof.Mark(findings, steps)
	for i := range out {
		out[i].Proof, out[i].ProofDetail = string(proofs[i]), why[i]
	}
	return out
}
