package loadgen

// Stats accounts for every scheduled request of a run and for its
// connections: what result.Workload has no field for. Once Stop has returned,
// Scheduled = Dropped + Unsent + Cancelled + Completed.
type Stats struct {
	// Scheduled counts requests whose due time was reached.
	Scheduled int64
	// Dropped counts requests that found the queue full (result.Workload.Dropped).
	Dropped int64
	// Unsent counts requests still queued when Stop gave up waiting: they were
	// never sent, so they have no latency; they are not Dropped either, which
	// means the generator fell behind while running.
	Unsent int64
	// Cancelled counts requests in flight when Stop gave up waiting; their
	// cancellation is shutdown, not a query error.
	Cancelled int64
	// Completed counts executed requests, successful or failed.
	Completed int64
	// Errors counts failed executions (all SQLSTATEs and ClientErrorKey).
	Errors int64
	// Reconnects counts connections re-opened after one broke.
	Reconnects int64
	// ConnectFailures counts failed reconnection attempts.
	ConnectFailures int64
	// Service is, per query name, the service time of successful executions:
	// send → completion, without the time spent waiting for a connection.
	// Latency − service time is queueing in the generator.
	Service map[string]Latency
	// SendLag is send − due time over all executed requests: time waiting in
	// the queue for a free connection plus the scheduler's own lateness
	// (timer granularity, CPU starvation).
	SendLag Latency
}

// Stats returns the counters so far. Safe for concurrent use.
func (r *Run) Stats() Stats {
	s := Stats{
		Scheduled:       r.c.scheduled.Load(),
		Dropped:         r.c.dropped.Load(),
		Unsent:          r.c.unsent.Load(),
		Cancelled:       r.c.cancelled.Load(),
		Reconnects:      r.c.reconnects.Load(),
		ConnectFailures: r.c.connectFailures.Load(),
	}
	r.rec.stats(&s)
	return s
}
