package loadgen

import (
	"math"
	"runtime/metrics"
	"sync"
	"syscall"
	"time"
)

// Harness samples the Go process itself once a second: goroutine scheduling
// latency and GC pauses (runtime/metrics) and CPU time (getrusage), so that
// a second in which the client, not the server, was slow can be told apart.
// It covers the whole process, whatever workloads run in it.
type Harness struct {
	epoch  time.Time
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
	mu     sync.Mutex
	secs   []HarnessSecond
	prev   harnessReading
	begun  time.Time
	cpu0   time.Duration
	result HarnessSummary
	// samples is reused by read: only the loop goroutine and Start read.
	samples []metrics.Sample
}

// HarnessSecond is one second (since the epoch) of the process.
type HarnessSecond struct {
	TS int64
	// SchedLatencyMax is the upper bound of the highest runtime/metrics
	// /sched/latencies:seconds bucket that counted a goroutine in the second.
	SchedLatencyMax time.Duration
	// GCPause is the stop-the-world GC pause time in the second (estimated
	// from histogram bucket midpoints).
	GCPause time.Duration
	// CPU is the process's CPU time (user + system) in the second.
	CPU time.Duration
}

// HarnessSummary is the whole sampled span.
type HarnessSummary struct {
	Seconds         []HarnessSecond
	CPU, Wall       time.Duration
	GCPause         time.Duration
	GCPauseMax      time.Duration
	SchedLatencyMax time.Duration
}

type harnessReading struct {
	sched, gc             []uint64
	schedBounds, gcBounds []float64
	cpu                   time.Duration
}

var harnessMetrics = []string{"/sched/latencies:seconds", "/sched/pauses/total/gc:seconds"}

// StartHarness begins sampling; t_s of the seconds counts from epoch.
func StartHarness(epoch time.Time) *Harness {
	h := &Harness{epoch: epoch, stop: make(chan struct{}), done: make(chan struct{}), begun: time.Now()}
	h.prev = h.read()
	h.cpu0 = h.prev.cpu
	go h.loop()
	return h
}

func (h *Harness) loop() {
	defer close(h.done)
	// Pace from the clock: a late tick (the process was starved) still
	// closes the second it belongs to.
	for n := 1; ; n++ {
		select {
		case <-h.stop:
			return
		case <-time.After(time.Until(h.begun.Add(time.Duration(n) * time.Second))):
		}
		h.sample(time.Now())
	}
}

func (h *Harness) sample(now time.Time) {
	r := h.read()
	s := HarnessSecond{TS: floorDiv(now.Add(-time.Millisecond).Sub(h.epoch), time.Second), CPU: r.cpu - h.prev.cpu}
	h.mu.Lock()
	defer h.mu.Unlock()
	s.SchedLatencyMax = maxBucket(r.schedBounds, h.prev.sched, r.sched)
	s.GCPause, h.result.GCPauseMax = sumBuckets(r.gcBounds, h.prev.gc, r.gc, h.result.GCPauseMax)
	h.prev = r
	h.secs = append(h.secs, s)
}

func (h *Harness) read() harnessReading {
	if h.samples == nil {
		h.samples = make([]metrics.Sample, len(harnessMetrics))
		for i, name := range harnessMetrics {
			h.samples[i].Name = name
		}
	}
	metrics.Read(h.samples)
	r := harnessReading{cpu: processCPU()}
	if h.samples[0].Value.Kind() == metrics.KindFloat64Histogram {
		hist := h.samples[0].Value.Float64Histogram()
		r.sched, r.schedBounds = append([]uint64(nil), hist.Counts...), hist.Buckets
	}
	if h.samples[1].Value.Kind() == metrics.KindFloat64Histogram {
		hist := h.samples[1].Value.Float64Histogram()
		r.gc, r.gcBounds = append([]uint64(nil), hist.Counts...), hist.Buckets
	}
	return r
}

// maxBucket is the upper bound of the highest bucket whose count grew.
func maxBucket(bounds []float64, before, after []uint64) time.Duration {
	for i := len(after) - 1; i >= 0; i-- {
		if i < len(before) && after[i] > before[i] || i >= len(before) && after[i] > 0 {
			return seconds(bounds[min(i+1, len(bounds)-1)])
		}
	}
	return 0
}

// sumBuckets estimates the total of the values added between two readings
// (bucket midpoints), and raises maxSoFar to the highest bucket bound seen.
func sumBuckets(bounds []float64, before, after []uint64, maxSoFar time.Duration) (time.Duration, time.Duration) {
	var total float64
	for i := range after {
		n := after[i]
		if i < len(before) {
			n -= before[i]
		}
		if n == 0 || i+1 >= len(bounds) {
			continue
		}
		lo, hi := bounds[i], bounds[i+1]
		if math.IsInf(lo, -1) {
			lo = 0
		}
		if math.IsInf(hi, 1) {
			hi = lo
		}
		total += float64(n) * (lo + hi) / 2
		maxSoFar = max(maxSoFar, seconds(hi))
	}
	return seconds(total), maxSoFar
}

func seconds(s float64) time.Duration {
	if math.IsInf(s, 0) || math.IsNaN(s) {
		return 0
	}
	return time.Duration(s * float64(time.Second))
}

// processCPU is the process's user + system time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Stop ends sampling and returns the summary; later calls return the same.
func (h *Harness) Stop() HarnessSummary {
	h.once.Do(func() {
		close(h.stop)
		<-h.done
		h.sample(time.Now()) // the last, partial second
		h.mu.Lock()
		defer h.mu.Unlock()
		h.result.Seconds = h.secs
		h.result.Wall = time.Since(h.begun)
		h.result.CPU = processCPU() - h.cpu0
		for _, s := range h.secs {
			h.result.GCPause += s.GCPause
			h.result.SchedLatencyMax = max(h.result.SchedLatencyMax, s.SchedLatencyMax)
		}
	})
	return h.result
}
