package rehearse

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rehearse/rehearse/lint"
	"github.com/rehearse/rehearse/result"
)

// A finding keeps every field through the conversion, and the JSON names
// the contract gives them.
func TestLintFindingsKeepFields(t *testing.T) {
	f := lint.Finding{Rule: lint.RuleAlterColumnType, Severity: lint.Error, Step: "expand", Statement: "ALTER TABLE t ALTER COLUMN v TYPE bigint",
		File: "s.yaml", Line: 18, Column: 9, Relation: "t", Lock: "AccessExclusiveLock", Message: "m", Safe: "s"}
	got := LintFindings([]lint.Finding{f})
	data, err := json.Marshal(got[0])
	if err != nil {
		t.Fatal(err)
	}
	want := `{"rule":"alter-column-type","severity":"error","step":"expand","statement":"ALTER TABLE t ALTER COLUMN v TYPE bigint",` +
		`"file":"s.yaml","line":18,"column":9,"relation":"t","lock":"AccessExclusiveLock","message":"m","safe":"s"}`
	if string(data) != want {
		t.Errorf("JSON\n%s\nwant\n%s", data, want)
	}
	if empty, _ := json.Marshal(LintFindings(nil)); !strings.HasPrefix(string(empty), "[]") {
		t.Errorf("no findings = %s, want []", empty)
	}
}

// A rehearsal marks each finding with what its step measured.
func TestProvenLintFindings(t *testing.T) {
	findings := []lint.Finding{
		{Rule: lint.RuleAlterColumnType, Step: "expand", Statement: "ALTER TABLE t ALTER COLUMN v TYPE bigint", Relation: "t",
			Lock: "AccessExclusiveLock", Effect: lint.EffectRewrite},
		{Rule: lint.RuleSetNotNull, Step: "expand", Statement: "ALTER TABLE t ALTER COLUMN w SET NOT NULL", Relation: "t",
			Lock: "AccessExclusiveLock", Effect: lint.EffectScan},
		{Rule: lint.RuleIndexNotConcurrent, Step: "later", Statement: "CREATE INDEX ON t (v)", Relation: "t", Lock: "ShareLock"},
	}
	steps := []result.Step{{Name: "expand", Statements: []result.StatementTrace{
		{SQL: findings[0].Statement, Locks: []result.StepLock{{Relation: "t", Mode: "AccessExclusiveLock"}}, Rewrote: []string{"t"}},
		{SQL: findings[1].Statement, Rewrote: []string{}, Scans: []result.TableScan{}},
	}}}
	got := provenLintFindings(findings, steps)
	want := []string{"confirmed", "mismatch", "not exercised"}
	for i, w := range want {
		if got[i].Proof != w || got[i].ProofDetail == "" {
			t.Errorf("finding %d: proof %q (%s), want %q", i, got[i].Proof, got[i].ProofDetail, w)
		}
	}
}
