package verdict

import (
	"strings"
	"testing"

	"github.com/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
)

// noiseCase is a one-step rehearsal of workload "old" judged on
// p99_regression 2.0 alone.
func noiseCase(baseP99, migP99 float64, noise []result.Noise, stalls []result.Stall, harness *result.Harness) (*scenarios.Scenario, *result.Result) {
	ratio := 2.0
	sc := &scenarios.Scenario{Migration: scenarios.Migration{Steps: []*scenarios.Step{{Name: "backfill"}}},
		Thresholds: scenarios.Thresholds{P99Regression: &ratio}}
	res := &result.Result{Steps: []result.Step{{Name: "backfill"}},
		Phases: []result.Phase{{Name: "baseline", StartMS: 0, EndMS: 10000}, {Name: "backfill", StartMS: 10000, EndMS: 20000},
			{Name: "cooldown", StartMS: 20000, EndMS: 25000}},
		Workloads: []result.Workload{{Name: "old", ByPhase: map[string]result.PhaseStats{"baseline": {Count: 5000, P99MS: baseP99}},
			Migration: result.PhaseStats{Count: 5000, P99MS: migP99}}},
		Noise: noise, Stalls: stalls, Harness: harness}
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

func starvedSeconds(from, to int64) *result.Harness {
	h := &result.Harness{LagLimitMS: 50}
	for s := int64(0); s < 25; s++ {
		h.Seconds = append(h.Seconds, result.HarnessSecond{TS: s, Starved: s >= from && s < to})
	}
	return h
}

func TestNoiseAwareVerdicts(t *testing.T) {
	t.Parallel()
	harnessStall := []result.Stall{{Phase: "backfill", Cause: result.CauseHarness, StartMS: 12000, LengthMS: 500}}
	ioStall := []result.Stall{{Phase: "backfill", Cause: result.CauseIO, StartMS: 12000, LengthMS: 500}}
	tests := []struct {
		name          string
		base, mig     float64
		noise         []result.Noise
		stalls        []result.Stall
		harness       *result.Harness
		pass, invalid bool
		observed      string // part of the p99 check's Observed
	}{
		{"quiet baseline, no regression", 2, 3, windows(2, 2.1, 1.9, 2), nil, nil, true, false, "baseline noise 1.11x"},
		{"quiet baseline, regression", 2, 6, windows(2, 2.1, 1.9, 2), nil, nil, false, false, "3.00x"},
		{"regression within a noisy baseline", 2, 6, windows(1, 3.5, 2, 1.2), nil, nil, true, false, "within the baseline's own spread"},
		{"regression beyond a noisy baseline", 2, 9, windows(1, 3.5, 2, 1.2), nil, nil, false, false, "noise 3.50x"},
		{"no noise measured: ratio alone", 2, 6, nil, nil, nil, false, false, "3.00x"},
		{"failed only in harness time", 2, 9, windows(2, 2), harnessStall, starvedSeconds(12, 13), false, true, ""},
		{"the migration's own I/O still fails", 2, 9, windows(2, 2), append(ioStall, harnessStall...), starvedSeconds(12, 13), false, false, ""},
		{"starved for most of the migration", 2, 3, windows(2, 2), nil, starvedSeconds(10, 15), false, true, ""},
		{"starved briefly, passing", 2, 3, windows(2, 2), nil, starvedSeconds(12, 13), true, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v := Judge(noiseCase(tc.base, tc.mig, tc.noise, tc.stalls, tc.harness))
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

func TestStarvedShare(t *testing.T) {
	t.Parallel()
	_, res := noiseCase(1, 1, nil, nil, starvedSeconds(10, 12))
	if got := StarvedShare(res.Harness, res.Phases); got != 0.2 {
		t.Errorf("starved share %v, want 0.2 (2 of the step's 10 s)", got)
	}
}
