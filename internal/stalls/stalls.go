// Package stalls finds the windows in which traffic stalled and says, from
// the samples taken meanwhile, what it waited on: a lock, I/O, a checkpoint,
// WAL, an LWLock, or the client itself (the harness). It is pure: it reads
// what the load generator and the lock monitor recorded.
package stalls

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/rehearse/rehearse/internal/human"
	"github.com/rehearse/rehearse/internal/lockmon"
	"github.com/rehearse/rehearse/loadgen"
	"github.com/rehearse/rehearse/result"
)

// Defaults of the stall rule and the harness check.
const (
	// DefaultMin is the shortest stall: requests at least this slow.
	DefaultMin = 100 * time.Millisecond
	// DefaultMultiple of a workload's baseline p99 a request must also exceed.
	DefaultMultiple = 5.0
	// DefaultLagLimit is the scheduler lateness (or Go scheduling latency)
	// that marks a second as starved.
	DefaultLagLimit = 50 * time.Millisecond
	// harnessShare is the share of a stall's length the client's own
	// lateness must reach for the stall to be the harness's.
	harnessShare = 0.5
	// minCauseShare is the share of the affected backends' samples a wait
	// class needs to be named the cause.
	minCauseShare = 0.2
)

// Workload is one workload's slow windows and its baseline p99 (0 when it
// had no baseline).
type Workload struct {
	Name          string
	BaselineP99MS float64
	Slow          []loadgen.SlowWindow
	Sched         []loadgen.SchedSecond
}

// Input is everything Detect reads. Times are relative to Epoch.
type Input struct {
	Epoch     time.Time
	Rule      result.StallRule
	LagLimit  time.Duration
	Workloads []Workload
	Harness   loadgen.HarnessSummary
	Samples   *lockmon.WaitSamples
	Locks     []result.LockEvent
	Phases    []result.Phase
}

// Rule is the default stall rule.
func Rule() result.StallRule {
	return result.StallRule{MinMS: ms(DefaultMin), Multiple: DefaultMultiple}
}

// Detect lists the stalls in start order, each with its cause.
func Detect(in Input) []result.Stall {
	var cands []result.Stall
	for _, w := range in.Workloads {
		threshold := max(in.Rule.MinMS, in.Rule.Multiple*w.BaselineP99MS)
		for _, s := range w.Slow {
			length := ms(s.End - s.Start)
			if ms(s.MaxLatency) < threshold || length < in.Rule.MinMS {
				continue
			}
			queries := make([]string, len(s.Queries))
			for i, q := range s.Queries {
				queries[i] = w.Name + "." + q
			}
			cands = append(cands, result.Stall{StartMS: s.Start.Milliseconds(), LengthMS: length, Phase: s.Phase,
				Workloads: []string{w.Name}, Queries: queries, Requests: s.Requests, MaxLatencyMS: ms(s.MaxLatency)})
		}
	}
	stalls := merge(cands)
	h := harnessSeconds(in)
	for i := range stalls {
		attribute(&stalls[i], in, h)
	}
	return stalls
}

// merge joins overlapping stalls of different workloads into one.
func merge(cands []result.Stall) []result.Stall {
	sort.Slice(cands, func(i, j int) bool { return cands[i].StartMS < cands[j].StartMS })
	var out []result.Stall
	for _, c := range cands {
		if n := len(out); n > 0 && float64(c.StartMS) <= end(out[n-1]) {
			last := &out[n-1]
			e := max(end(*last), end(c))
			last.LengthMS = e - float64(last.StartMS)
			last.Workloads = union(last.Workloads, c.Workloads)
			last.Queries = union(last.Queries, c.Queries)
			last.Requests += c.Requests
			last.MaxLatencyMS = max(last.MaxLatencyMS, c.MaxLatencyMS)
			continue
		}
		out = append(out, c)
	}
	return out
}

func end(s result.Stall) float64 { return float64(s.StartMS) + s.LengthMS }

func union(a, b []string) []string {
	set := map[string]bool{}
	for _, x := range append(append([]string(nil), a...), b...) {
		set[x] = true
	}
	out := make([]string, 0, len(set))
	for x := range set {
		out = append(out, x)
	}
	sort.Strings(out)
	return out
}

// harnessSeconds is, per second, the worst client-side delay: the
// scheduler's lateness over every workload and the Go runtime's scheduling
// latency.
func harnessSeconds(in Input) map[int64]time.Duration {
	h := map[int64]time.Duration{}
	for _, w := range in.Workloads {
		for _, s := range w.Sched {
			h[s.TS] = max(h[s.TS], s.MaxLate)
		}
	}
	for _, s := range in.Harness.Seconds {
		h[s.TS] = max(h[s.TS], s.SchedLatencyMax)
	}
	return h
}

// attribute names a stall's cause: the harness when the client itself was
// late for a good part of it, else the wait class that dominates the
// affected workloads' samples in the window.
func attribute(s *result.Stall, in Input, harness map[int64]time.Duration) {
	startMS, endMS := float64(s.StartMS), end(*s)
	var late time.Duration
	for sec := int64(startMS) / 1000; sec <= int64(endMS)/1000; sec++ {
		late = max(late, harness[sec])
	}
	if ms(late) >= harnessShare*s.LengthMS {
		s.Cause = result.CauseHarness
		s.Detail = fmt.Sprintf("the client was %s late sending (scheduler or Go runtime): the process was starved", human.MS(ms(late)))
		return
	}
	classes, total, checkpoint, seen := classify(s, in, startMS, endMS)
	if total == 0 && seen >= 2 && late >= lagLimit(in) {
		// Samples fell in the window and none saw the server working on
		// these requests: their time went by in the client, which was
		// starved at the time.
		s.Cause = result.CauseHarness
		s.Detail = fmt.Sprintf("no sample of %d saw the server working on these requests, and the client was %s late sending: the time went by in the starved client", seen, human.MS(ms(late)))
		return
	}
	s.Cause, s.Detail = decide(classes, total, checkpoint)
	if s.Cause == result.CauseLock {
		if ev, ok := longestLock(s, in.Locks, startMS, endMS); ok {
			s.Chain = ev.Chain
			s.Detail += fmt.Sprintf("; %s waited %s for %s on %s, blocked by %s", ev.Workload+"."+ev.Query, human.MS(ev.WaitMS), ev.Mode, ev.Relation, human.Clip(ev.BlockedBy, 120))
		}
	}
	if late > 0 && s.Cause != result.CauseHarness {
		s.Detail += fmt.Sprintf("; client at most %s late", human.MS(ms(late)))
	}
}

// classify counts the affected workloads' backend-samples in the window by
// wait class, the share of samples in which the checkpointer was at work,
// and the samples taken in the window.
func classify(s *result.Stall, in Input, startMS, endMS float64) (map[string]int64, int64, float64, int) {
	classes := map[string]int64{}
	var total int64
	n, checkpoints := 0, 0
	if in.Samples == nil {
		return classes, 0, 0, 0
	}
	affected := map[string]bool{}
	for _, w := range s.Workloads {
		affected[w] = true
	}
	for _, smp := range in.Samples.Samples {
		at := ms(smp.At.Sub(in.Epoch))
		if at < startMS || at > endMS {
			continue
		}
		n++
		if smp.Checkpoint {
			checkpoints++
		}
		for _, c := range smp.Counts {
			if !affected[in.Samples.Name(c.Workload)] {
				continue
			}
			total += int64(c.N)
			classes[Class(in.Samples.Name(c.Event))] += int64(c.N)
		}
	}
	return classes, total, float64(checkpoints) / float64(max(n, 1)), n
}

// lagLimit is the client lateness that marks a second as starved.
func lagLimit(in Input) time.Duration {
	if in.LagLimit > 0 {
		return in.LagLimit
	}
	return DefaultLagLimit
}

// Class maps a wait event name (lockmon.EventName) to a stall cause, or to
// "cpu" and "client" for backends that were working or waiting for the
// client.
func Class(event string) string {
	typ, name, _ := strings.Cut(event, ":")
	switch typ {
	case result.WaitCPU:
		return "cpu"
	case "Lock":
		return result.CauseLock
	case "LWLock":
		if strings.HasPrefix(name, "WAL") {
			return result.CauseWAL
		}
		return result.CauseLWLockPrefix + name
	case "IO":
		if strings.HasPrefix(name, "WAL") {
			return result.CauseWAL
		}
		return result.CauseIO
	case "Client":
		return "client"
	}
	return "other:" + event
}

// decide picks the cause from the class counts: the most frequent class
// other than CPU and client waits, if it holds enough of the samples. I/O or
// WAL waits while the checkpointer works for most of the window are the
// checkpoint's: its writes and fsyncs are what slow the others down.
func decide(classes map[string]int64, total int64, checkpointShare float64) (string, string) {
	checkpoint := checkpointShare >= 0.5
	if total == 0 {
		return result.CauseUnknown, "no sample saw an active backend of the affected workloads: the requests waited in the client, or the window fell between samples"
	}
	best, bestN := "", int64(0)
	for c, n := range classes {
		if c == "cpu" || c == "client" || strings.HasPrefix(c, "other:") {
			continue
		}
		if n > bestN || n == bestN && c < best {
			best, bestN = c, n
		}
	}
	summary := classSummary(classes, total)
	if best == "" || float64(bestN)/float64(total) < minCauseShare {
		return result.CauseUnknown, "no wait class dominates the affected backends' samples (" + summary + ")"
	}
	if checkpointShare > 0 {
		summary += fmt.Sprintf("; the checkpointer was working in %.0f%% of the samples", 100*checkpointShare)
	}
	if (best == result.CauseIO || best == result.CauseWAL) && checkpoint {
		return result.CauseCheckpoint, best + " waits during a checkpoint: " + summary
	}
	return best, summary
}

func classSummary(classes map[string]int64, total int64) string {
	type kv struct {
		k string
		n int64
	}
	var list []kv
	for k, n := range classes {
		list = append(list, kv{k, n})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].n > list[j].n || list[i].n == list[j].n && list[i].k < list[j].k })
	parts := make([]string, 0, 3)
	for i, e := range list {
		if i == 3 {
			break
		}
		parts = append(parts, fmt.Sprintf("%s %.0f%%", e.k, 100*float64(e.n)/float64(total)))
	}
	return strings.Join(parts, ", ") + fmt.Sprintf(" of %d backend-samples", total)
}

// longestLock is the longest lock wait of an affected workload that
// overlaps the window.
func longestLock(s *result.Stall, events []result.LockEvent, startMS, endMS float64) (result.LockEvent, bool) {
	affected := map[string]bool{}
	for _, w := range s.Workloads {
		affected[w] = true
	}
	var best result.LockEvent
	found := false
	for _, e := range events {
		if !affected[e.Workload] || float64(e.StartMS) > endMS || float64(e.StartMS)+e.WaitMS < startMS {
			continue
		}
		if !found || e.WaitMS > best.WaitMS {
			best, found = e, true
		}
	}
	return best, found
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
