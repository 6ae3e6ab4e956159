package verdict_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/verdict"
)

func TestLimit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		prev, ratio, floor, want float64
	}{
		{0.8, 1.5, 10, 10.8}, // small figures: the floor decides
		{20, 1.5, 10, 30},    // 20ms → 30ms: both agree
		{100, 1.5, 10, 150},  // large figures: the ratio decides
		{0, 1.5, 50, 50},     // nothing before: the floor alone
		{100, 1, 0, 100},     // no tolerance at all
	} {
		if got := verdict.Limit(tc.prev, tc.ratio, tc.floor); got != tc.want {
			t.Errorf("Limit(%v, %v, %v) = %v, want %v", tc.prev, tc.ratio, tc.floor, got, tc.want)
		}
	}
}

// run builds a completed result with one workload "old" whose phases have
// the given p99 (ms) over count successful requests, a longest lock wait
// and step durations.
func run(p99 map[string]float64, count int64, maxWait float64, steps map[string]int64) *result.Result {
	r := &result.Result{Status: result.StatusCompleted, Verdict: result.Verdict{Pass: true, Reasons: []string{}}}
	w := result.Workload{Name: "old", ByPhase: map[string]result.PhaseStats{}}
	for _, ph := range []string{"baseline", "widen", "cooldown"} {
		r.Phases = append(r.Phases, result.Phase{Name: ph})
		if v, ok := p99[ph]; ok {
			w.ByPhase[ph] = result.PhaseStats{Count: count + 2, Errors: 2, P99MS: v}
		}
	}
	r.Workloads = []result.Workload{w}
	r.LockWaits.MaxMS = maxWait
	for _, name := range []string{"widen", "index"} {
		if d, ok := steps[name]; ok {
			r.Steps = append(r.Steps, result.Step{Name: name, DurationMS: d})
		}
	}
	return r
}

func TestCompare(t *testing.T) {
	t.Parallel()
	base := run(map[string]float64{"baseline": 0.8, "widen": 20, "cooldown": 1}, 1000, 12, map[string]int64{"widen": 1000, "index": 100})
	for _, tc := range []struct {
		name   string
		cur    *result.Result
		opts   []verdict.Option
		failed []string // names of the failed checks
		checks int
	}{
		{
			name:   "same figures",
			cur:    base,
			checks: 3 + 1 + 2,
		},
		{
			name: "noise under the floors",
			cur: run(map[string]float64{"baseline": 1.3, "widen": 29, "cooldown": 9}, 1000, 60,
				map[string]int64{"widen": 1490, "index": 590}),
			checks: 6,
		},
		{
			name: "p99 of a step and the lock wait regress",
			cur: run(map[string]float64{"baseline": 0.8, "widen": 2000, "cooldown": 1}, 1000, 2000,
				map[string]int64{"widen": 1000, "index": 100}),
			failed: []string{"regression.p99[old/widen]", "regression.max_lock_wait"},
			checks: 6,
		},
		{
			name:   "a step slows down beyond ratio and floor",
			cur:    run(map[string]float64{"baseline": 0.8, "widen": 20, "cooldown": 1}, 1000, 12, map[string]int64{"widen": 1600, "index": 100}),
			failed: []string{"regression.step_duration[widen]"},
			checks: 6,
		},
		{
			name:   "a wider tolerance lets it pass",
			cur:    run(map[string]float64{"baseline": 0.8, "widen": 20, "cooldown": 1}, 1000, 12, map[string]int64{"widen": 1600, "index": 100}),
			opts:   []verdict.Option{verdict.WithRatio(2)},
			checks: 6,
		},
		{
			name:   "a zero floor makes the smallest increase count",
			cur:    run(map[string]float64{"baseline": 1.3, "widen": 20, "cooldown": 1}, 1000, 12, map[string]int64{"widen": 1000, "index": 100}),
			opts:   []verdict.Option{verdict.WithLatencyFloor(0)},
			failed: []string{"regression.p99[old/baseline]"},
			checks: 6,
		},
		{
			name:   "phases with too few requests are not compared",
			cur:    run(map[string]float64{"baseline": 500, "widen": 500, "cooldown": 500}, 99, 12, map[string]int64{"widen": 1000, "index": 100}),
			checks: 1 + 2,
		},
		{
			name:   "figures missing from one run are not compared",
			cur:    run(map[string]float64{"widen": 20}, 1000, 12, map[string]int64{"index": 100}),
			checks: 1 + 1 + 1,
		},
		{
			name:   "steps take floors of their own",
			cur:    run(map[string]float64{"baseline": 0.8, "widen": 20, "cooldown": 1}, 1000, 12, map[string]int64{"widen": 1000, "index": 200}),
			opts:   []verdict.Option{verdict.WithStepFloor(50 * time.Millisecond), verdict.WithLockWaitFloor(0)},
			failed: []string{"regression.step_duration[index]"},
			checks: 6,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checks, err := verdict.Compare(base, tc.cur, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if len(checks) != tc.checks {
				t.Errorf("%d checks, want %d: %+v", len(checks), tc.checks, checks)
			}
			var failed []string
			for _, c := range checks {
				if !strings.HasPrefix(c.Name, verdict.CheckPrefix) || c.Limit == "" || c.Observed == "" {
					t.Errorf("malformed check %+v", c)
				}
				if !c.Pass {
					failed = append(failed, c.Name)
				}
			}
			if strings.Join(failed, ",") != strings.Join(tc.failed, ",") {
				t.Errorf("failed %v, want %v", failed, tc.failed)
			}
		})
	}
}

func TestCompareWordsObservedAndLimit(t *testing.T) {
	t.Parallel()
	prev := run(map[string]float64{"widen": 20}, 1000, 0, nil)
	cur := run(map[string]float64{"widen": 2000}, 1000, 0, nil)
	checks, err := verdict.Compare(prev, cur)
	if err != nil {
		t.Fatal(err)
	}
	c := checks[0]
	if c.Name != "regression.p99[old/widen]" || c.Observed != "2.00s (100.00× the previous 20ms)" ||
		c.Limit != "45ms (1.50× previous, at least +25ms)" || c.Pass {
		t.Errorf("%+v", c)
	}
	if lw := checks[1]; lw.Observed != "0.00ms (previously 0)" || !lw.Pass {
		t.Errorf("%+v", lw)
	}
}

func TestCompareRefusesAbortedRuns(t *testing.T) {
	t.Parallel()
	ok := run(nil, 0, 0, nil)
	aborted := run(nil, 0, 0, nil)
	aborted.Status = result.StatusAborted
	for _, pair := range [][2]*result.Result{{aborted, ok}, {ok, aborted}} {
		if _, err := verdict.Compare(pair[0], pair[1]); !errors.Is(err, verdict.ErrNotComparable) {
			t.Errorf("err %v, want ErrNotComparable", err)
		}
	}
}

func TestApplyFailsTheVerdictOnARegression(t *testing.T) {
	t.Parallel()
	v := result.Verdict{Pass: true, Reasons: []string{}, Checks: []result.Check{{Name: "max_lock_wait", Pass: true}}}
	verdict.Apply(&v, []result.Check{
		{Name: "regression.max_lock_wait", Limit: "62ms", Observed: "2.00s", Pass: false},
		{Name: "regression.step_duration[widen]", Limit: "1.50s", Observed: "1.00s", Pass: true},
	})
	if v.Pass || len(v.Checks) != 3 || len(v.Reasons) != 1 || v.Reasons[0] != "regression.max_lock_wait: observed 2.00s, limit 62ms" {
		t.Errorf("%+v", v)
	}
	clean := result.Verdict{Pass: true}
	verdict.Apply(&clean, []result.Check{{Name: "regression.max_lock_wait", Pass: true}})
	if !clean.Pass || len(clean.Reasons) != 0 {
		t.Errorf("a passing regression check changed the verdict: %+v", clean)
	}
}
