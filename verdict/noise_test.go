package verdict

import (
	"strings"
	"testing"

	"github.com/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
)

// noiseCase is a one-step rehearsal of workload "old" judged on
// p99_regression 2.0 alone.
func noiseCase(baseP99, migP99 float64, noise []result.Noise, stalls []result.Stall) (*scenarios.Scenario, *result.Result) {
	ratio := 2.0
	sc := &scenarios.Scenario{Migration: scenarios.Migration{Steps: []*scenarios.Step{{Name: "backfill"}}},
		Thresholds: scenarios.Thresholds{P99Regression: &ratio}}
	res := &result.Result{Steps: []result.Step{{Name: "backfill"}},
		Phases: []result.Phase{{Name: "baseline", StartMS: 0, EndMS: 10000}, {Name: "backfill", StartMS: 10000, EndMS: 20000},
			{Name: "cooldown", StartMS: 20000, EndMS: 25000}},
		Workloads: []result.Workload{{Name: "old", ByPhase: map[string]result.PhaseStats{"baseline": {Count: 5000, P99MS: baseP99}},
			Migration: result.PhaseStats{Count: 5000, P99MS: migP99}}},
		Noise: noise, Stalls: stalls}
	return sc, res
}

func windows(p99s ...float64) []result.Noise {
	n := result.Noise{Workload: "old"}
	lo, hi := p99s[0], p99s[0]
	for i, p := range p99s {
		n.Windows = append(n.Windows, result.NoiseWindow{StartS: int64(5 * i), Count: 1000, P99MS: p})
		lo, hi = min(lo, p), max(hi, p)
	}
	n.Spread = hi / lo
	return []result.Noise{n}
}

func harnessStalls(fromMS, toMS int64) []result.Stall {
	length := float64(toMS - fromMS)
	return []result.Stall{{Phase: "backfill", Workloads: []string{"old"}, Cause: result.CauseHarness, StartMS: fromMS, LengthMS: length,
		Requests: int64(length / 5), MaxLatencyMS: length}}
}

func TestNoiseAwareVerdicts(t *testing.T) {
	t.Parallel()
	harnessStall := harnessStalls(12000, 12500) // 100 requests: 2% of the migration's 5000
	ioStall := []result.Stall{{Phase: "backfill", Workloads: []string{"old"}, Cause: result.CauseIO, StartMS: 15000, LengthMS: 500, Requests: 10, MaxLatencyMS: 500}}
	smallIOStall := []result.Stall{{Phase: "backfill", Workloads: []string{"old"}, Cause: result.CauseIO, StartMS: 15000, LengthMS: 100, Requests: 3, MaxLatencyMS: 3.5}}
	tests := []struct {
		name          string
		base, mig     float64
		noise         []result.Noise
		stalls        []result.Stall
		pass, invalid bool
		observed      string // part of the p99 check's Observed
	}{
		{"quiet baseline, no regression", 2, 3, windows(2, 2.1, 1.9, 2), nil, true, false, "baseline noise 1.11x"},
		{"quiet baseline, regression", 2, 6, windows(2, 2.1, 1.9, 2), nil, false, false, "3.00x"},
		{"regression within a noisy baseline", 2, 6, windows(1, 3.5, 2, 1.2), nil, true, false, "within the baseline's own spread"},
		{"regression beyond a noisy baseline", 2, 9, windows(1, 3.5, 2, 1.2), nil, false, false, "noise 3.50x"},
		{"no noise measured: ratio alone", 2, 6, nil, nil, false, false, "3.00x"},
		{"failed only in harness time", 2, 9, windows(2, 2), harnessStall, false, true, ""},
		{"the migration's own I/O still fails", 2, 9, windows(2, 2), append(ioStall, harnessStall...), false, false, ""},
		{"an own stall within the limit does not keep the FAIL", 2, 9, windows(2, 2), append(smallIOStall, harnessStall...), false, true, ""},
		{"too few harness requests to explain the p99", 2, 9, windows(2, 2), harnessStalls(12000, 12010), false, false, ""},
		{"harness stalls over 10% of the migration", 2, 3, windows(2, 2), harnessStalls(10000, 11500), false, true, ""},
		{"harness stalls briefly, passing", 2, 3, windows(2, 2), harnessStall, true, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v := Judge(noiseCase(tc.base, tc.mig, tc.noise, tc.stalls))
			if v.Pass != tc.pass || v.Invalid != tc.invalid {
				t.Errorf("pass=%v invalid=%v (%s), want %v/%v; reasons %v", v.Pass, v.Invalid, v.InvalidReason, tc.pass, tc.invalid, v.Reasons)
			}
			if tc.invalid && v.InvalidReason == "" {
				t.Error("invalid without a reason")
			}
			if c := checkNamed(t, v, "p99_regression[old]"); !strings.Contains(c.Observed, tc.observed) {
				t.Errorf("observed %q, want it to contain %q", c.Observed, tc.observed)
			}
		})
	}
}

func TestHarnessShare(t *testing.T) {
	t.Parallel()
	_, res := noiseCase(1, 1, nil, append(harnessStalls(9000, 12000), result.Stall{Phase: "backfill", Cause: result.CauseIO, StartMS: 15000, LengthMS: 2000}))
	if got := HarnessShare(res); got != 0.2 {
		t.Errorf("harness share %v, want 0.2 (2 s of the step's 10 s; the baseline part and the io stall do not count)", got)
	}
}
