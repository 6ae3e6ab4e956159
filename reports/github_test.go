package reports_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/rehearse/rehearse/reports"
)

// One annotation per failed check, on the line of the step that caused
// it; the workflow command has the form GitHub reads.
func TestGitHubAnnotationsOnTheCulpritStep(t *testing.T) {
	r := load(t, "unsafe-full.json")
	locate := func(step string) (string, int, bool) {
		if step == "widen" {
			return "db/migrations/0007_widen.sql", 3, true
		}
		return "", 0, false
	}
	anns := reports.GitHubAnnotations(r, "scenario.yaml", locate)
	failed := 0
	for _, c := range r.Verdict.Checks {
		if !c.Pass {
			failed++
		}
	}
	if len(anns) != failed || failed == 0 {
		t.Fatalf("%d annotations for %d failed checks: %+v", len(anns), failed, anns)
	}
	re := regexp.MustCompile(`^::error file=([^,]+),line=(\d+),title=([^:,]+)::(.+)$`)
	var onStep int
	for _, a := range anns {
		m := re.FindStringSubmatch(a.String())
		if m == nil {
			t.Errorf("%q is not an annotation with file and line", a.String())
			continue
		}
		if m[1] == "db/migrations/0007_widen.sql" && m[2] == "3" && strings.Contains(m[4], "during step widen") {
			onStep++
		}
	}
	if onStep == 0 {
		t.Errorf("no annotation placed on the step widen: %+v", anns)
	}
	for _, a := range anns {
		if strings.Contains(a.Title, "max_lock_wait") && a.File != "db/migrations/0007_widen.sql" {
			t.Errorf("max_lock_wait not on the step that caused it: %+v", a)
		}
	}
}

func TestGitHubAnnotationsOfAPassIsNone(t *testing.T) {
	r := load(t, "rename.json")
	for i := range r.Verdict.Checks {
		r.Verdict.Checks[i].Pass = true
	}
	if anns := reports.GitHubAnnotations(r, "s.yaml", func(string) (string, int, bool) { return "", 0, false }); len(anns) != 0 {
		t.Errorf("annotations for a pass: %+v", anns)
	}
}
