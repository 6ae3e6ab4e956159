package rehearse

import (
	"github.com/rehearse/rehearse/lint"
	"github.com/rehearse/rehearse/result"
)

// LintFindings converts lint's findings into the result's form; never nil,
// so that an empty list stays a list in JSON.
func LintFindings(findings []lint.Finding) []result.LintFinding {
	out := make([]result.LintFinding, len(findings))
	for i, f := range findings {
		out[i] = result.LintFinding{Rule: f.Rule, Severity: f.Severity.String(), Step: f.Step, Statement: f.Statement,
			File: f.File, Line: f.Line, Column: f.Column, Relation: f.Relation, Lock: f.Lock, Message: f.Message, Safe: f.Safe}
	}
	return out
}
