package reports_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rehearse/rehearse/reports"
	"github.com/rehearse/rehearse/result"
)

// withStalls is the unsafe fixture with a lock stall and a harness stall,
// the self-check, the noise and wait profiles, judged invalid.
func withStalls(t *testing.T) *result.Result {
	r := load(t, "unsafe.json")
	r.StallRule = &result.StallRule{MinMS: 100, Multiple: 5}
	r.Stalls = []result.Stall{
		{StartMS: 10200, LengthMS: 2010, Phase: "widen", Workloads: []string{"old"}, Queries: []string{"old.get_balance"},
			Requests: 600, MaxLatencyMS: 2008, Cause: result.CauseLock, Detail: "lock 95% of 700 backend-samples; blocked by ALTER TABLE users"},
		{StartMS: 14000, LengthMS: 520, Phase: "widen", Workloads: []string{"old"}, Requests: 150, MaxLatencyMS: 515,
			Cause: result.CauseHarness, Detail: "the client was 500ms late sending"},
	}
	r.Harness = &result.Harness{LagLimitMS: 50, CPUMS: 900, WallMS: 30000, StarvedSeconds: 1, StarvedRequests: map[string]int64{"old": 300},
		Seconds: []result.HarnessSecond{{TS: 14, SendLagMaxMS: 500, Starved: true}}}
	r.Noise = []result.Noise{{Workload: "old", Spread: 1.31, Windows: []result.NoiseWindow{{StartS: 0, Count: 1500, P99MS: 2}, {StartS: 5, Count: 1500, P99MS: 2.62}}}}
	r.WaitEvents = &result.WaitEvents{ByPhase: []result.WaitProfile{{Phase: "widen", Workload: "old", Samples: 700,
		Waits: []result.WaitShare{{Event: "Lock:relation", Samples: 665, Share: 0.95}, {Event: "CPU", Samples: 35, Share: 0.05}}}}}
	r.Verdict.Invalid, r.Verdict.InvalidReason = true, "the load generator was starved for 12% of the migration"
	r.Verdict.Pass = false
	return r
}

func TestStallTablesInEveryFormat(t *testing.T) {
	t.Parallel()
	r := withStalls(t)
	txt := string(render(t, r, reports.Text))
	md := string(render(t, r, reports.Markdown))
	page := render(t, r, reports.HTML)
	parseHTML(t, page)
	for format, out := range map[string]string{"text": txt, "md": md, "html": string(page)} {
		for _, want := range []string{"2 stalls (1 harness, 1 lock)", "blocked by ALTER TABLE users", "the client was 500ms late sending",
			"old 1.31x over 2 windows", "300 old requests scheduled in them", "starved for 12% of the migration"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s report lacks %q", format, want)
			}
		}
	}
	if !strings.HasPrefix(md, "### ⚠️ INVALID · ") || !strings.Contains(txt, "INVALID") {
		t.Errorf("the verdict is not shown as INVALID:\n%s", md[:min(len(md), 200)])
	}
	if !bytes.Contains(page, []byte(`class="stall-cause"`)) || !bytes.Contains(page, []byte("Lock:relation 95%")) {
		t.Error("the HTML page marks no stall on the chart or lacks the wait profile")
	}
	path := filepath.Join(t.TempDir(), "r.json")
	if err := os.WriteFile(path, render(t, r, reports.JSON), 0o600); err != nil {
		t.Fatal(err)
	}
	back, err := reports.ReadJSON(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Stalls) != 2 || back.Stalls[0].Cause != result.CauseLock || !back.Verdict.Invalid || back.Harness.StarvedRequests["old"] != 300 {
		t.Errorf("JSON round trip lost the stalls: %+v", back.Stalls)
	}
}
