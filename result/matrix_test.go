package result

import (
	"encoding/json"
	"strings"
	"testing"
)

// run is a completed result of version v with one workload.
func run(v string, pass bool, p99 float64) VersionRun {
	return VersionRun{Version: v, Result: Result{Status: StatusCompleted, Verdict: Verdict{Pass: pass},
		Workloads: []Workload{{Name: "old", Migration: PhaseStats{Count: 100, P99MS: p99}}}}}
}

func TestMatrixOutcome(t *testing.T) {
	t.Parallel()
	aborted := run("13", false, 1)
	aborted.Status = StatusAborted
	for _, tc := range []struct {
		runs []VersionRun
		want string
	}{
		{nil, "ABORTED"},
		{[]VersionRun{run("15", true, 1), run("16", true, 1)}, "PASS"},
		{[]VersionRun{run("15", true, 1), run("16", false, 1)}, "FAIL"},
		{[]VersionRun{run("15", false, 1), aborted}, "ABORTED"},
	} {
		m := Matrix{Runs: tc.runs}
		if got := m.Outcome(); got != tc.want {
			t.Errorf("Outcome of %d runs = %s, want %s", len(tc.runs), got, tc.want)
		}
	}
}

// Each run reads as a Result: its fields are inlined beside "version".
func TestVersionRunJSONInlinesTheResult(t *testing.T) {
	t.Parallel()
	data, err := json.Marshal(run("15", true, 3))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), `{"version":"15","schema_version":0,"scenario":""`) {
		t.Errorf("JSON starts %.80s", data)
	}
	var back Result
	if err := json.Unmarshal(data, &back); err != nil || back.Status != StatusCompleted || len(back.Workloads) != 1 {
		t.Errorf("decoded as a Result: %+v, %v", back, err)
	}
}
