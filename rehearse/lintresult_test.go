package rehearse

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rehearse/rehearse/lint"
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
