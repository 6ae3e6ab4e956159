package loadgen

import (
	"math"
	"time"
)

// Pacer decides when each request of an open-model schedule is due. Pacing
// from due times, rather than from a ticker, keeps the schedule exact when the
// scheduler is late: late requests are issued at once and keep their due time,
// so the lateness is part of their measured latency.
type Pacer interface {
	// Due returns when request n (0-based) is due, as an offset from the start
	// of the run; ok is false when the schedule has ended. Due must be
	// non-decreasing in n.
	Due(n uint64) (at time.Duration, ok bool)
}

// PacerFunc adapts a function to the Pacer interface.
type PacerFunc func(n uint64) (time.Duration, bool)

// Due calls f.
func (f PacerFunc) Due(n uint64) (time.Duration, bool) { return f(n) }

// ConstantPacer schedules Rate requests per second: request n is due at
// n/Rate seconds. A Rate that is not a positive finite number ends the
// schedule at once.
type ConstantPacer struct {
	// Rate is in requests per second.
	Rate float64
}

// Due returns n/Rate seconds.
func (p ConstantPacer) Due(n uint64) (time.Duration, bool) {
	if !(p.Rate > 0) || math.IsInf(p.Rate, 0) {
		return 0, false
	}
	s := float64(n) / p.Rate
	if s >= float64(math.MaxInt64)/float64(time.Second) {
		return 0, false
	}
	return time.Duration(s * float64(time.Second)), true
}

var (
	_ Pacer = ConstantPacer{}
	_ Pacer = PacerFunc(nil)
)
