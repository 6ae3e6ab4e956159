package stalls

import (
	"sort"

	"github.com/rehearse/rehearse/result"
)

// Harness is the result's self-check: per second, the scheduler's worst
// lateness over every workload, the Go runtime's, GC pauses and CPU; a
// second is starved when either lateness reaches in.LagLimit, and the
// requests scheduled in starved seconds are counted per workload.
func Harness(in Input) *result.Harness {
	type sec struct {
		s         result.HarnessSecond
		scheduled map[string]int64
	}
	secs := map[int64]*sec{}
	get := func(ts int64) *sec {
		if secs[ts] == nil {
			secs[ts] = &sec{s: result.HarnessSecond{TS: ts}, scheduled: map[string]int64{}}
		}
		return secs[ts]
	}
	for _, w := range in.Workloads {
		for _, s := range w.Sched {
			x := get(s.TS)
			x.s.SendLagMaxMS = max(x.s.SendLagMaxMS, ms(s.MaxLate))
			x.scheduled[w.Name] += s.Scheduled
		}
	}
	for _, s := range in.Harness.Seconds {
		x := get(s.TS)
		x.s.SchedLatencyMaxMS = max(x.s.SchedLatencyMaxMS, ms(s.SchedLatencyMax))
		x.s.GCPauseMS += ms(s.GCPause)
		x.s.CPUPct += 100 * s.CPU.Seconds()
	}
	h := &result.Harness{LagLimitMS: ms(in.LagLimit), CPUMS: ms(in.Harness.CPU), WallMS: ms(in.Harness.Wall),
		GCPauseMS: ms(in.Harness.GCPause), GCPauseMaxMS: ms(in.Harness.GCPauseMax), Seconds: []result.HarnessSecond{}}
	for _, x := range secs {
		x.s.Starved = x.s.SendLagMaxMS >= ms(in.LagLimit) || x.s.SchedLatencyMaxMS >= ms(in.LagLimit)
		if x.s.Starved {
			h.StarvedSeconds++
			if h.StarvedRequests == nil {
				h.StarvedRequests = map[string]int64{}
			}
			for w, n := range x.scheduled {
				h.StarvedRequests[w] += n
			}
		}
		h.Seconds = append(h.Seconds, x.s)
	}
	sort.Slice(h.Seconds, func(i, j int) bool { return h.Seconds[i].TS < h.Seconds[j].TS })
	return h
}
