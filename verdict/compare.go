// Package regress compares a rehearsal with a previous rehearsal of the
// same scenario (last night's, say) and reports what got slower as verdict
// checks of their own: p99 latency per workload and phase, the longest
// traffic lock wait, and each step's duration.
//
// A figure regresses when it exceeds both the previous figure times a ratio
// and the previous figure plus an absolute floor:
//
//	limit = max(previous × ratio, previous + floor)
//
// The floor keeps noise on small figures from failing a run: with the
// default ratio 1.5 and latency floor 25ms, a p99 going from 0.8ms to 1.3ms
// or from 3ms to 15ms is not a regression (the noise of a shared machine),
// from 20ms to 60ms is. The functions are pure: they
// read two Results and return checks.
package verdict

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/rehearse/rehearse/internal/human"
	"github.com/rehearse/rehearse/result"
)

// Defaults of the tolerance.
const (
	DefaultRatio         = 1.5
	DefaultLatencyFloor  = 25 * time.Millisecond
	DefaultLockWaitFloor = 50 * time.Millisecond
	DefaultStepFloor     = 500 * time.Millisecond
	// DefaultMinRequests is the fewest successful requests a phase must have
	// in both runs for its p99 to be compared: below 100 the p99 is the
	// slowest request or two, which is noise.
	DefaultMinRequests = 100
)

// CheckPrefix starts the name of every check this package makes.
const CheckPrefix = "regression."

type options struct {
	ratio                              float64
	latencyFloor, lockFloor, stepFloor float64 // milliseconds
	minRequests                        int64
}

// Option tunes the comparison.
type Option func(*options)

// WithRatio sets how many times the previous figure a figure may reach
// (default DefaultRatio). Values below 1 are taken as 1.
func WithRatio(r float64) Option { return func(o *options) { o.ratio = math.Max(r, 1) } }

// WithLatencyFloor sets the absolute p99 increase that is never a
// regression (default DefaultLatencyFloor).
func WithLatencyFloor(d time.Duration) Option {
	return func(o *options) { o.latencyFloor = ms(d) }
}

// WithLockWaitFloor sets the absolute increase of the longest lock wait that
// is never a regression (default DefaultLockWaitFloor).
func WithLockWaitFloor(d time.Duration) Option { return func(o *options) { o.lockFloor = ms(d) } }

// WithStepFloor sets the absolute increase of a step's duration that is never
// a regression (default DefaultStepFloor).
func WithStepFloor(d time.Duration) Option { return func(o *options) { o.stepFloor = ms(d) } }

// WithMinRequests sets the fewest successful requests a phase needs in both
// runs for its p99 to be compared (default DefaultMinRequests).
func WithMinRequests(n int64) Option { return func(o *options) { o.minRequests = n } }

func ms(d time.Duration) float64 { return math.Max(float64(d)/float64(time.Millisecond), 0) }

// ErrNotComparable is returned (wrapped) when the previous result cannot
// serve as a baseline.
var ErrNotComparable = errors.New("previous result not comparable")

// Compare returns one check per compared figure, in a stable order: p99 per
// workload and phase (workloads and phases in the order of cur), then the
// longest lock wait, then each step's duration. Figures missing from
// either run are not compared. It fails with ErrNotComparable when prev
// or cur did not complete.
func Compare(prev, cur *result.Result, opts ...Option) ([]result.Check, error) {
	o := options{ratio: DefaultRatio, latencyFloor: ms(DefaultLatencyFloor), lockFloor: ms(DefaultLockWaitFloor),
		stepFloor: ms(DefaultStepFloor), minRequests: DefaultMinRequests}
	for _, opt := range opts {
		opt(&o)
	}
	if prev.Status != result.StatusCompleted {
		return nil, fmt.Errorf("%w: the previous run %s", ErrNotComparable, prev.Status)
	}
	if cur.Status != result.StatusCompleted {
		return nil, fmt.Errorf("%w: this run %s", ErrNotComparable, cur.Status)
	}
	var checks []result.Check
	checks = append(checks, latencyChecks(prev, cur, o)...)
	checks = append(checks, compare(CheckPrefix+"max_lock_wait", prev.LockWaits.MaxMS, cur.LockWaits.MaxMS, o.ratio, o.lockFloor))
	checks = append(checks, stepChecks(prev, cur, o)...)
	return checks, nil
}

func latencyChecks(prev, cur *result.Result, o options) []result.Check {
	var checks []result.Check
	for _, w := range cur.Workloads {
		pw, ok := findWorkload(prev, w.Name)
		if !ok {
			continue
		}
		for _, ph := range cur.Phases {
			now, okNow := w.ByPhase[ph.Name]
			then, okThen := pw.ByPhase[ph.Name]
			if !okNow || !okThen || now.Count-now.Errors < o.minRequests || then.Count-then.Errors < o.minRequests {
				continue
			}
			name := fmt.Sprintf("%sp99[%s/%s]", CheckPrefix, w.Name, ph.Name)
			checks = append(checks, compare(name, then.P99MS, now.P99MS, o.ratio, o.latencyFloor))
		}
	}
	return checks
}

func findWorkload(r *result.Result, name string) (result.Workload, bool) {
	for _, w := range r.Workloads {
		if w.Name == name {
			return w, true
		}
	}
	return result.Workload{}, false
}

func stepChecks(prev, cur *result.Result, o options) []result.Check {
	before := map[string]result.Step{}
	for _, s := range prev.Steps {
		before[s.Name] = s
	}
	var checks []result.Check
	for _, s := range cur.Steps {
		p, ok := before[s.Name]
		// A failed step is judged by the migration check; its duration
		// says nothing about speed.
		if !ok || s.Error != "" || p.Error != "" {
			continue
		}
		name := fmt.Sprintf("%sstep_duration[%s]", CheckPrefix, s.Name)
		checks = append(checks, compare(name, float64(p.DurationMS), float64(s.DurationMS), o.ratio, o.stepFloor))
	}
	return checks
}

// compare judges one figure in milliseconds against its previous value.
func compare(name string, prev, cur, ratio, floor float64) result.Check {
	limit := Limit(prev, ratio, floor)
	observed := human.MS(cur)
	if prev > 0 {
		observed += fmt.Sprintf(" (%.2f× the previous %s)", cur/prev, human.MS(prev))
	} else {
		observed += " (previously 0)"
	}
	return result.Check{
		Name:     name,
		Limit:    fmt.Sprintf("%s (%.2f× previous, at least +%s)", human.MS(limit), ratio, human.MS(floor)),
		Observed: observed,
		Pass:     cur <= limit,
	}
}

// Limit is the largest value a figure may take given its previous value.
func Limit(prev, ratio, floor float64) float64 { return math.Max(prev*ratio, prev+floor) }

// Apply adds checks to a verdict: a failed check fails the verdict and adds
// a reason worded as the verdict's own.
func Apply(v *result.Verdict, checks []result.Check) {
	for _, c := range checks {
		v.Checks = append(v.Checks, c)
		if !c.Pass {
			v.Pass = false
			v.Reasons = append(v.Reasons, fmt.Sprintf("%s: observed %s, limit %s", c.Name, c.Observed, c.Limit))
		}
	}
}
