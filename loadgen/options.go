package loadgen

import (
	"maps"
	"time"
)

// Defaults of a run's options.
const (
	// DefaultPhase is the phase name when WithPhase is not given.
	DefaultPhase = "run"
	// DefaultQueueSeconds sizes the default queue: Rate × this many seconds of
	// requests may wait for a connection before new ones are dropped.
	DefaultQueueSeconds = 60
	// MinQueueLimit and MaxQueueLimit bound the default queue size. The queue
	// is preallocated (~80 bytes a slot), hence the upper bound.
	MinQueueLimit = 1000
	MaxQueueLimit = 1_000_000
)

// Option configures Start.
type Option func(*options)

type options struct {
	phase         func() string
	epoch         time.Time
	queueLimit    int
	pacer         Pacer
	maxRequests   uint64
	runtimeParams map[string]string
	slowFloor     time.Duration
}

func newOptions(w Workload, opts []Option) options {
	o := options{phase: func() string { return DefaultPhase }, slowFloor: DefaultSlowFloor}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.queueLimit <= 0 {
		o.queueLimit = defaultQueueLimit(w.Rate)
	}
	if o.pacer == nil {
		o.pacer = ConstantPacer{Rate: w.Rate}
	}
	return o
}

func defaultQueueLimit(rate float64) int {
	n := rate * DefaultQueueSeconds
	switch {
	case !(n >= MinQueueLimit):
		return MinQueueLimit
	case n > MaxQueueLimit:
		return MaxQueueLimit
	}
	return int(n)
}

// WithPhase sets the function naming the current phase ("baseline", a step
// name, "cooldown"). It is called from the scheduler goroutine each time a
// request is scheduled, so it must be safe to call concurrently with whatever
// changes its answer. A request belongs to the phase current when it was
// scheduled (at its due time, or just after when the scheduler runs late),
// even if it completes in a later phase. nil keeps DefaultPhase.
func WithPhase(phase func() string) Option {
	return func(o *options) {
		if phase != nil {
			o.phase = phase
		}
	}
}

// WithEpoch sets the origin of the timeline: TimelinePt.TS is whole seconds
// since t. The default is the instant pacing starts; a rehearsal passes its
// own start so that all workloads share one time axis.
func WithEpoch(t time.Time) Option {
	return func(o *options) { o.epoch = t }
}

// WithQueueLimit sets how many scheduled requests may wait for a free
// connection. A request due while the queue is full is counted as Dropped:
// the rate is never silently lowered. n <= 0 keeps the default, Rate ×
// DefaultQueueSeconds bounded by [MinQueueLimit, MaxQueueLimit].
func WithQueueLimit(n int) Option {
	return func(o *options) { o.queueLimit = n }
}

// WithPacer replaces the constant pacer derived from Workload.Rate, e.g. to
// ramp. Workload.Rate is still reported as the target rate.
func WithPacer(p Pacer) Option {
	return func(o *options) {
		if p != nil {
			o.pacer = p
		}
	}
}

// WithMaxRequests ends the schedule after n requests (0: no limit); Done is
// then closed once they have all been executed.
func WithMaxRequests(n uint64) Option {
	return func(o *options) { o.maxRequests = n }
}

// WithRuntimeParams sets server parameters on every connection of the run,
// such as statement_timeout or lock_timeout: timeouts enforced by the server
// fail a query with its own SQLSTATE (57014, 55P03) and keep the connection,
// where a client-side timeout would cost the connection. application_name is
// always the Workload's.
func WithRuntimeParams(params map[string]string) Option {
	return func(o *options) {
		if o.runtimeParams == nil {
			o.runtimeParams = make(map[string]string, len(params))
		}
		maps.Copy(o.runtimeParams, params)
	}
}

// WithSlowFloor sets the latency from which requests are kept in
// SlowWindows (default DefaultSlowFloor); d <= 0 keeps the default.
func WithSlowFloor(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.slowFloor = d
		}
	}
}
