package loadgen

import (
	"context"
	"time"
)

// schedule is the only producer of the queue: it paces requests from the
// clock, picks each query and its arguments, and drops what the queue cannot
// hold. It closes the queue when it exits.
func (r *Run) schedule(ctx context.Context) {
	defer close(r.schedDone)
	defer close(r.queue)
	defer func() { r.schedEnd.Store(max(int64(time.Since(r.start)), 1)) }()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for n := uint64(0); r.opts.maxRequests == 0 || n < r.opts.maxRequests; n++ {
		at, ok := r.opts.pacer.Due(n)
		if !ok || !sleepUntil(ctx, timer, r.start.Add(at)) {
			return
		}
		r.dispatch(at)
	}
}

// timerSlack is how late Go's timers may fire here: with network connections
// open the runtime waits in epoll_wait, whose timeout is in whole
// milliseconds (measured: p50 0.56 ms, p90 0.99 ms late; loadgen/peerbench
// BenchmarkSchedulerWakeup). The last stretch before a due time is slept
// precisely instead, so the generator does not add that lateness to every
// latency.
const timerSlack = 1500 * time.Microsecond

// sleepUntil waits for t; false if ctx ended first. A late scheduler does not
// wait: the request keeps its due time and the lateness shows as latency.
func sleepUntil(ctx context.Context, timer *time.Timer, t time.Time) bool {
	if d := time.Until(t) - timerSlack; d > 0 {
		timer.Reset(d)
		select {
		case <-ctx.Done():
			return false
		case <-timer.C:
		}
	}
	preciseSleep(time.Until(t))
	return ctx.Err() == nil
}

// dispatch builds the request due at offset due and queues it. Arguments are
// generated even for a dropped request so that request n is the same whatever
// happened to the ones before it.
func (r *Run) dispatch(due time.Duration) {
	q := r.mix.pick()
	args, err := r.mix.args(q)
	j := job{query: q, args: args, argErr: err, phase: r.opts.phase(), due: due}
	r.c.scheduled.Add(1)
	r.self.scheduled(r.start.Add(due), time.Now())
	select {
	case r.queue <- j:
	default:
		r.c.dropped.Add(1)
	}
}
