package reports_test

import (
	"strings"
	"testing"

	"github.com/rehearse/rehearse/reports"
	"github.com/rehearse/rehearse/result"
)

// A zero-config result says in the sign-off which files were the
// migration and what was simulated, between the checks and the steps.
func TestMarkdownShowsWhatWasInferred(t *testing.T) {
	t.Parallel()
	r := load(t, "rename.json")
	r.Inferred = &result.Inferred{Pending: []string{"000005_add_api_token"}, How: "the last file",
		Notes:    []string{"rows: 1,000,000 for each table the pending files touch (--rows)"},
		Defaults: []string{"max_lock_wait: 500ms"}, DefaultChecks: []string{r.Verdict.Checks[0].Name},
		Queries: []result.InferredQuery{{Workload: "old", Name: "users.get", Weight: 4, SQL: "SELECT id, name FROM users WHERE id = $1"}}}
	md := string(render(t, r, reports.Markdown))
	checks, inferred, steps := strings.Index(md, "#### Checks"), strings.Index(md, "#### Inferred, no scenario file"), strings.Index(md, "#### Migration steps")
	if inferred < 0 || checks > inferred || inferred > steps {
		t.Fatalf("inferred section at %d (checks %d, steps %d):\n%s", inferred, checks, steps, md)
	}
	for _, want := range []string{"Migration: `000005_add_api_token` (the last file)", "max\\_lock\\_wait: 500ms", "| old | users.get | 4 | `SELECT id, name FROM users WHERE id = $1` |"} {
		if !strings.Contains(md, want) {
			t.Errorf("sign-off lacks %q", want)
		}
	}
	text := string(render(t, r, reports.Text))
	if !strings.Contains(md+text, r.Verdict.Checks[0].Limit+" (default)") || strings.Count(text, "(default)") != 1 {
		t.Errorf("the defaulted check %s is not marked (default) once:\n%s", r.Verdict.Checks[0].Name, text)
	}
	plain := string(render(t, load(t, "rename.json"), reports.Markdown))
	if strings.Contains(plain, "Inferred") {
		t.Errorf("a scenario file's sign-off has an inferred section")
	}
}
