package reports_test

import (
	"strings"
	"testing"

	"github.com/rehearse/rehearse/reports"
	"github.com/rehearse/rehearse/result"
)

// TestFidelity shows production's figures beside the baseline and flags the
// query ten times slower than in production.
func TestFidelity(t *testing.T) {
	t.Parallel()
	r := load(t, "rename.json")
	w := &r.Workloads[0]
	w.Queries[0].ByPhase["baseline"] = result.PhaseStats{Count: 100, P50MS: 30, P99MS: 80}
	w.Queries[0].Production = &result.Production{CallsPerS: 120, MeanMS: 2, TargetCallsPerS: 60, BaselineCallsPerS: 59.5, ServerMeanMS: 30, LatencyRatio: 15, Basis: "server", Flag: "slower"}
	for name, out := range map[string]string{
		"text":     string(render(t, r, reports.Text)),
		"markdown": string(render(t, r, reports.Markdown)),
	} {
		if !strings.Contains(out, "Against production") || !strings.Contains(out, "15.0× SLOWER") || !strings.Contains(out, "59.5") {
			t.Errorf("%s report lacks the production comparison:\n%s", name, out)
		}
	}
	plain := load(t, "rename.json")
	if out := string(render(t, plain, reports.Text)); strings.Contains(out, "Against production") {
		t.Error("a result without a profile shows a production section")
	}
}
