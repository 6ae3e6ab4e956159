package rehearse

import (
	"time"

	"github.com/rehearse/rehearse/internal/lockmon"
	"github.com/rehearse/rehearse/internal/stalls"
	"github.com/rehearse/rehearse/loadgen"
	"github.com/rehearse/rehearse/result"
)

// selfRecord is what a stopped workload recorded about itself, kept for
// stall detection (traffic.stop fills it).
type selfRecord struct {
	slow  []loadgen.SlowWindow
	sched []loadgen.SchedSecond
	noise []result.NoiseWindow
}

// diagnostics is what finish gathers for explaining stalls: the monitor's
// wait events and counters, the harness, and each workload's self-check.
type diagnostics struct {
	waits    *result.WaitEvents
	samples  *lockmon.WaitSamples
	counters []result.ServerCounters
	harness  *loadgen.HarnessSummary
	self     map[string]selfRecord
}

func selfRecordOf(run *loadgen.Run) selfRecord {
	return selfRecord{slow: run.SlowWindows(), sched: run.SchedulerSeconds(), noise: run.NoiseWindows()}
}

// fromMonitor takes the wait events and counters out of the monitor's report.
func (d *diagnostics) fromMonitor(rep lockmon.Report) {
	d.waits, d.samples, d.counters = rep.WaitEvents, rep.Samples, rep.Counters
}

// recordStalls adds the wait events, server counters, harness check,
// stalls and baseline noise to res.
func recordStalls(res *result.Result, d diagnostics, epoch time.Time) {
	res.WaitEvents, res.ServerCounters = d.waits, d.counters
	in := stalls.Input{Epoch: epoch, Rule: stalls.Rule(), LagLimit: stalls.DefaultLagLimit, Samples: d.samples,
		Locks: res.LockWaits.Events, Phases: res.Phases}
	if d.harness != nil {
		in.Harness = *d.harness
	}
	for _, w := range res.Workloads {
		self, ok := d.self[w.Name]
		if !ok {
			continue
		}
		in.Workloads = append(in.Workloads, stalls.Workload{Name: w.Name, BaselineP99MS: w.ByPhase[result.PhaseBaseline].P99MS,
			Slow: self.slow, Sched: self.sched})
		if len(self.noise) > 0 {
			res.Noise = append(res.Noise, result.Noise{Workload: w.Name, Windows: self.noise, Spread: spread(self.noise)})
		}
	}
	if len(in.Workloads) == 0 {
		return
	}
	rule := in.Rule
	res.StallRule = &rule
	res.Harness = stalls.Harness(in)
	res.Stalls = stalls.Detect(in)
}

// minNoiseCount is the fewest requests a baseline window needs for its p99
// to count in the spread.
const minNoiseCount = 100

// spread is the largest window p99 over the smallest, over windows with
// enough requests; 1 when fewer than two qualify.
func spread(windows []result.NoiseWindow) float64 {
	lo, hi, n := 0.0, 0.0, 0
	for _, w := range windows {
		if w.Count < minNoiseCount || w.P99MS <= 0 {
			continue
		}
		if n == 0 || w.P99MS < lo {
			lo = w.P99MS
		}
		hi = max(hi, w.P99MS)
		n++
	}
	if n < 2 {
		return 1
	}
	return hi / lo
}
