package loadgen

import (
	"sort"
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/rehearse/rehearse/result"
)

// Defaults of the self-check.
const (
	// DefaultSlowFloor is the latency from which a request is kept as part
	// of a slow window (a stall candidate).
	DefaultSlowFloor = 100 * time.Millisecond
	// DefaultNoiseWidth is the width of the baseline windows whose p99
	// spread measures the noise.
	DefaultNoiseWidth = 5 * time.Second
	// maxSlowWindows bounds the slow windows kept; later ones are merged
	// into the last.
	maxSlowWindows = 10000
)

// SchedSecond is one second (by due time, since the epoch) of the
// scheduler: how many requests it scheduled and how late it was at worst.
// Lateness is from the due time to the moment the request was queued for a
// connection, so it is the client's own delay, not waiting for the server.
type SchedSecond struct {
	TS        int64
	Scheduled int64
	MaxLate   time.Duration
}

// SlowWindow is a span of time in which requests of a workload took at
// least the slow floor: from the earliest due time to the latest completion
// of those requests (failed ones included). Times are since the epoch.
type SlowWindow struct {
	Start, End time.Duration
	Requests   int64
	MaxLatency time.Duration
	// Queries are the names of the slow requests' queries, sorted.
	Queries []string
	// Phase is the phase the first slow request was scheduled in.
	Phase string
}

// selfCheck is what a run records about itself besides latencies: the
// scheduler's lateness, the slow windows and the baseline's noise windows.
type selfCheck struct {
	mu    sync.Mutex
	epoch time.Time
	floor time.Duration
	sched map[int64]*SchedSecond
	slow  []slowAcc
	// noise holds one histogram per DefaultNoiseWidth window of the
	// baseline phase, by due time.
	noise map[int64]*hdr.Histogram
}

type slowAcc struct {
	SlowWindow
	queries map[string]bool
}

func newSelfCheck(epoch time.Time, floor time.Duration) *selfCheck {
	return &selfCheck{epoch: epoch, floor: floor, sched: map[int64]*SchedSecond{}, noise: map[int64]*hdr.Histogram{}}
}

func floorDiv(d, unit time.Duration) int64 {
	n := int64(d / unit)
	if d < 0 && d%unit != 0 {
		n--
	}
	return n
}

// scheduled records that a request due at due was queued at queued.
func (s *selfCheck) scheduled(due, queued time.Time) {
	sec := floorDiv(due.Sub(s.epoch), time.Second)
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.sched[sec]
	if ss == nil {
		ss = &SchedSecond{TS: sec}
		s.sched[sec] = ss
	}
	ss.Scheduled++
	ss.MaxLate = max(ss.MaxLate, queued.Sub(due))
}

// completed records one executed request of query name.
func (s *selfCheck) completed(name, phase string, due, done time.Time, ok bool) {
	lat := done.Sub(due)
	s.mu.Lock()
	defer s.mu.Unlock()
	if ok && phase == result.PhaseBaseline {
		w := floorDiv(due.Sub(s.epoch), DefaultNoiseWidth)
		h := s.noise[w]
		if h == nil {
			h = newWindowHist()
			s.noise[w] = h
		}
		h.RecordValue(micros(lat))
	}
	if lat < s.floor {
		return
	}
	start, end := due.Sub(s.epoch), done.Sub(s.epoch)
	if n := len(s.slow); n > 0 && (start <= s.slow[n-1].End && end >= s.slow[n-1].Start || n >= maxSlowWindows) {
		last := &s.slow[n-1]
		last.Start, last.End = min(last.Start, start), max(last.End, end)
		last.Requests++
		last.MaxLatency = max(last.MaxLatency, lat)
		last.queries[name] = true
		return
	}
	s.slow = append(s.slow, slowAcc{SlowWindow: SlowWindow{Start: start, End: end, Requests: 1, MaxLatency: lat, Phase: phase},
		queries: map[string]bool{name: true}})
}

// SchedulerSeconds returns the scheduler's lateness per second, in order.
// Safe for concurrent use.
func (r *Run) SchedulerSeconds() []SchedSecond {
	s := r.self
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SchedSecond, 0, len(s.sched))
	for _, ss := range s.sched {
		out = append(out, *ss)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].TS < out[j].TS })
	return out
}

// SlowWindows returns the windows of requests slower than the slow floor,
// overlapping ones merged, in start order. Safe for concurrent use.
func (r *Run) SlowWindows() []SlowWindow {
	s := r.self
	s.mu.Lock()
	acc := append([]slowAcc(nil), s.slow...)
	s.mu.Unlock()
	sort.Slice(acc, func(i, j int) bool { return acc[i].Start < acc[j].Start })
	var merged []slowAcc
	for _, a := range acc {
		if n := len(merged); n > 0 && a.Start <= merged[n-1].End {
			m := &merged[n-1]
			m.End = max(m.End, a.End)
			m.Requests += a.Requests
			m.MaxLatency = max(m.MaxLatency, a.MaxLatency)
			for q := range a.queries {
				m.queries[q] = true
			}
			continue
		}
		a.queries = copySet(a.queries)
		merged = append(merged, a)
	}
	out := make([]SlowWindow, len(merged))
	for i, m := range merged {
		out[i] = m.SlowWindow
		for q := range m.queries {
			out[i].Queries = append(out[i].Queries, q)
		}
		sort.Strings(out[i].Queries)
	}
	return out
}

func copySet(m map[string]bool) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

// NoiseWindows returns the p99 of each DefaultNoiseWidth window of the
// baseline phase (by due time, successful requests), in order. Safe for
// concurrent use.
func (r *Run) NoiseWindows() []result.NoiseWindow {
	s := r.self
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]result.NoiseWindow, 0, len(s.noise))
	for w, h := range s.noise {
		out = append(out, result.NoiseWindow{StartS: w * int64(DefaultNoiseWidth/time.Second), Count: h.TotalCount(),
			P99MS: ms(h.ValueAtQuantile(99))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].StartS < out[j].StartS })
	return out
}
