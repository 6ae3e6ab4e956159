//go:build linux

package peerbench_test

import (
	"net"
	"slices"
	"syscall"
	"testing"
	"time"
)

// wakeups is how many requests each way of sleeping schedules, at rate/s.
const wakeups = 1500

// BenchmarkSchedulerWakeup explains the agreement benchmark's p50: how late
// a goroutine that sleeps until each request's due time at 500/s, and hands
// the request to a worker goroutine over a channel, gets it there; once
// sleeping on a Go timer (as loadgen's scheduler does), once in nanosleep(2).
// With network connections open, an idle Go process sleeps in epoll_wait,
// whose timeout is in whole milliseconds, so Go timers fire up to 1 ms late;
// nanosleep has microsecond resolution. pgbench -R sleeps in ppoll(2), also
// microsecond resolution. No database is involved.
func BenchmarkSchedulerWakeup(b *testing.B) {
	// A listener with a pending Accept keeps the netpoller in use, as the
	// pgx connections of a real run do.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() { _, _ = ln.Accept() }() // returns when ln is closed
	b.ResetTimer()
	timer := handoffLateness(func(d time.Duration) {
		t := time.NewTimer(d)
		<-t.C
	})
	nano := handoffLateness(func(d time.Duration) {
		ts := syscall.NsecToTimespec(int64(d))
		for syscall.Nanosleep(&ts, &ts) == syscall.EINTR { // Go's preemption signals interrupt it
		}
	})
	b.StopTimer()
	b.ReportMetric(us(percentile(timer, 0.5)), "timer-p50-µs")
	b.ReportMetric(us(percentile(timer, 0.99)), "timer-p99-µs")
	b.ReportMetric(us(percentile(nano, 0.5)), "nanosleep-p50-µs")
	b.ReportMetric(us(percentile(nano, 0.99)), "nanosleep-p99-µs")
	b.Logf("lateness of a request at its worker goroutine, due → received, %d requests at %d/s:", wakeups, rate)
	b.Logf("  Go timer  p50 %4.0f µs  p90 %5.0f µs  p99 %6.0f µs", us(percentile(timer, 0.5)), us(percentile(timer, 0.9)), us(percentile(timer, 0.99)))
	b.Logf("  nanosleep p50 %4.0f µs  p90 %5.0f µs  p99 %6.0f µs", us(percentile(nano, 0.5)), us(percentile(nano, 0.9)), us(percentile(nano, 0.99)))
}

// handoffLateness schedules wakeups requests at rate/s, sleeping with sleep
// until each is due, hands each to one of conns worker goroutines, and
// returns how late each reached its worker, sorted.
func handoffLateness(sleep func(time.Duration)) []time.Duration {
	queue := make(chan time.Time, wakeups)
	results := make(chan []time.Duration)
	for range conns {
		go func() {
			var late []time.Duration
			for due := range queue {
				late = append(late, time.Since(due))
			}
			results <- late
		}()
	}
	start := time.Now()
	for n := range wakeups {
		due := start.Add(time.Duration(n) * time.Second / rate)
		if d := time.Until(due); d > 0 {
			sleep(d)
		}
		queue <- due
	}
	close(queue)
	var all []time.Duration
	for range conns {
		all = append(all, <-results...)
	}
	slices.Sort(all)
	return all
}
