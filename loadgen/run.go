package loadgen

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/internal/dbconn"
	"github.com/rehearse/rehearse/result"
)

// Shutdown timings.
const (
	// cancelGrace is reserved before Stop's deadline to cancel in-flight
	// queries and close connections, so that Stop returns within its ctx.
	cancelGrace = 250 * time.Millisecond
	// cancelDeadline is how long a cancelled query may wait for the server to
	// honour the cancel request before its socket is closed: the bound on Stop
	// when the server does not answer at all.
	cancelDeadline = time.Second
	// closeTimeout bounds sending Terminate when a worker or background
	// session closes its connection, and a session's COMMIT or ROLLBACK.
	closeTimeout = time.Second
)

// Run is one running workload. Its methods are safe for concurrent use. Stop
// must be called to end it; once Done is closed nothing runs any more and Stop
// only finalises the summary.
type Run struct {
	name  string
	rate  float64
	proto Protocol
	pool  int
	opts  options
	cfg   *pgx.ConnConfig
	mix   *mix // owned by the scheduler goroutine
	// queries is the workload's query list, read-only once started.
	queries []Query
	rec     *recorder
	self    *selfCheck // scheduler lateness, slow windows, noise (selfcheck.go)
	start   time.Time
	queue   chan job // closed by the scheduler when it exits

	schedCancel, workCancel context.CancelFunc
	schedDone               chan struct{}
	done                    chan struct{} // every worker exited

	// schedEnd and finished are nanoseconds since start, 0 while unset.
	schedEnd, finished atomic.Int64
	c                  counters
	// connSerial numbers the connections opened, so that errors can be
	// counted per connection.
	connSerial atomic.Int64

	stopOnce sync.Once
	final    result.Workload
}

// job is one scheduled request, handed from the scheduler to a worker.
type job struct {
	query  int
	args   []any
	argErr error
	phase  string
	due    time.Duration // since Run.start
}

type counters struct {
	scheduled, dropped, unsent, cancelled atomic.Int64
	reconnects, connectFailures           atomic.Int64
}

// Start validates w, opens its Connections (all of them, or none and an
// error), and starts pacing. ctx bounds opening the connections only; the run
// lasts until Stop, which the caller must call. Values of ctx are kept.
func Start(ctx context.Context, dsn string, w Workload, opts ...Option) (*Run, error) {
	if err := w.validate(); err != nil {
		return nil, fmt.Errorf("workload %q: %w", w.Name, err)
	}
	o := newOptions(w, opts)
	cfg, err := connConfig(dsn, w.appName(), w.protocol(), o.runtimeParams)
	if err != nil {
		return nil, fmt.Errorf("workload %q: %w", w.Name, err)
	}
	conns, err := connectAll(ctx, cfg, w.Connections)
	if err != nil {
		return nil, fmt.Errorf("workload %q: %w", w.Name, err)
	}
	queries := cloneQueries(w.Queries)
	r := &Run{
		name:      w.Name,
		rate:      w.Rate,
		proto:     w.protocol(),
		pool:      w.Connections,
		opts:      o,
		cfg:       cfg,
		mix:       newMix(queries, w.Seed),
		queries:   queries,
		queue:     make(chan job, o.queueLimit),
		schedDone: make(chan struct{}),
		done:      make(chan struct{}),
	}
	r.launch(context.WithoutCancel(ctx), queries, conns)
	return r, nil
}

// cloneQueries copies qs deeply enough that the caller may change its slices.
func cloneQueries(qs []Query) []Query {
	out := slices.Clone(qs)
	for i := range out {
		out[i].Args = slices.Clone(out[i].Args)
		out[i].Statements = slices.Clone(out[i].Statements)
		for k := range out[i].Statements {
			out[i].Statements[k].Args = slices.Clone(out[i].Statements[k].Args)
		}
	}
	return out
}

func connConfig(dsn, appName string, proto Protocol, params map[string]string) (*pgx.ConnConfig, error) {
	// A cancelled query (only at shutdown) sends the server a cancel request
	// instead of dropping the socket: a backend blocked on a lock would
	// otherwise stay in pg_stat_activity until the lock is released.
	cfg, err := dbconn.Config(dsn, appName, dbconn.WithParams(params), dbconn.WithCancelRequest(cancelDeadline))
	if err != nil {
		return nil, err
	}
	// ProtocolPrepared executes its own named statements; the mode then only
	// applies to BEGIN and COMMIT, which pgx sends as simple queries anyway.
	cfg.DefaultQueryExecMode = pgx.QueryExecModeCacheStatement
	if proto == ProtocolSimple {
		cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	}
	return cfg, nil
}

// connectAll opens n connections concurrently; on any failure it closes the
// others and returns the first error.
func connectAll(ctx context.Context, cfg *pgx.ConnConfig, n int) ([]*pgx.Conn, error) {
	conns := make([]*pgx.Conn, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { conns[i], errs[i] = pgx.ConnectConfig(ctx, cfg) })
	}
	wg.Wait()
	failed, first := 0, error(nil)
	for _, err := range errs {
		if err != nil {
			failed++
			first = cmpOr(first, err)
		}
	}
	if failed == 0 {
		return conns, nil
	}
	closeAll(conns)
	return nil, fmt.Errorf("open connections (%d of %d failed): %w", failed, n, first)
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func closeAll(conns []*pgx.Conn) {
	for _, c := range conns {
		if c != nil {
			closeConn(c)
		}
	}
}

// closeConn sends Terminate so the backend leaves at once, bounded by
// closeTimeout; a connection already broken is just released.
func closeConn(c *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	_ = c.Close(ctx) // nothing to do about a failed goodbye
}

func (r *Run) launch(base context.Context, queries []Query, conns []*pgx.Conn) {
	r.start = time.Now()
	epoch := r.opts.epoch
	if epoch.IsZero() {
		epoch = r.start
	}
	r.rec = newRecorder(queries, epoch, r.start)
	r.self = newSelfCheck(epoch, r.opts.slowFloor)
	r.rec.self = r.self
	schedCtx, schedCancel := context.WithCancel(base)
	workCtx, workCancel := context.WithCancel(base)
	r.schedCancel, r.workCancel = schedCancel, workCancel
	go r.schedule(schedCtx)
	var wg sync.WaitGroup
	for _, c := range conns {
		w := &worker{r: r, conn: c, serial: r.connSerial.Add(1)}
		wg.Go(func() { w.loop(workCtx) })
	}
	go func() {
		wg.Wait()
		close(r.done)
	}()
}

// Done is closed once the schedule has ended (WithMaxRequests, a finite
// Pacer, or Stop) and every queued request has been executed or given up.
func (r *Run) Done() <-chan struct{} { return r.done }

// Stop ends the run and returns its summary. It stops scheduling at once,
// lets the workers execute what is queued and in flight until shortly before
// ctx is done, then cancels the rest (a cancel request to the server; the
// connection may be closed): those requests count as Stats.Cancelled or
// Stats.Unsent, never as errors. All connections are closed and all goroutines
// have exited when Stop returns. If the server ignores cancel requests Stop
// may overrun ctx by up to about a second. Later calls return the first
// summary.
func (r *Run) Stop(ctx context.Context) result.Workload {
	r.stopOnce.Do(func() { r.final = r.stop(ctx) })
	return r.final
}

func (r *Run) stop(ctx context.Context) result.Workload {
	r.schedCancel()
	<-r.schedDone
	wait, cancel := beforeDeadline(ctx, cancelGrace)
	defer cancel()
	select {
	case <-r.done:
	case <-wait.Done():
	}
	r.workCancel()
	<-r.done
	for range r.queue { // closed by the scheduler; left over only after a cancel
		r.c.unsent.Add(1)
	}
	r.finished.Store(max(int64(time.Since(r.start)), 1))
	return r.Snapshot()
}

// beforeDeadline is ctx ending grace (at most a quarter of the time left)
// before ctx's deadline, so that what follows still fits in ctx.
func beforeDeadline(ctx context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	dl, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	grace = min(grace, time.Until(dl)/4)
	return context.WithDeadline(ctx, dl.Add(-grace))
}

// Snapshot returns the summary so far; after Stop, the final one. It is safe
// to call concurrently with the run and costs a merge of the histograms.
//
// Query.Count and PhaseStats.Count count executions, failed ones included, so
// that Errors/Count is the error rate; the latency percentiles are of the
// successful executions, measured from the scheduled send time. AchievedRate
// is executions (failed included) per second of scheduling: from the start to
// Stop or to the end of the schedule. Timeline points are by completion time,
// through the current (or final) second, empty seconds included. PoolWait is
// the time executed requests (failed ones included) waited for a connection,
// by the phase they were scheduled in; ConnectionsBySQLState counts the
// distinct connections that saw each SQLSTATE.
func (r *Run) Snapshot() result.Workload {
	end := r.now()
	queries, byPhase, timeline := r.rec.summary(end)
	completed := int64(0)
	for _, q := range queries {
		completed += q.Count
	}
	return result.Workload{
		Name:         r.name,
		TargetRate:   r.rate,
		AchievedRate: rate(completed, r.activeTime(end)),
		Dropped:      r.c.dropped.Load(),
		Unsent:       r.c.unsent.Load(),
		Cancelled:    r.c.cancelled.Load(),
		Queries:      queries,
		Timeline:     timeline,
		ByPhase:      byPhase,
		Protocol:     string(r.proto),
		Pool:         r.pool,
		PoolWait:     r.rec.poolWait(),

		ConnectionsBySQLState: r.rec.workloadConns(),
	}
}

// Merged summarises the named phases together, over all queries: e.g. all
// migration steps as one "during the migration" figure, whose percentiles
// cannot be derived from the per-phase ones. Unknown names add nothing. Safe
// for concurrent use, and valid after Stop.
func (r *Run) Merged(phases ...string) result.PhaseStats { return r.rec.merged(phases) }

// now is the current time, or the time the run finished.
func (r *Run) now() time.Time {
	if f := r.finished.Load(); f != 0 {
		return r.start.Add(time.Duration(f))
	}
	return time.Now()
}

// activeTime is how long the run has been scheduling requests.
func (r *Run) activeTime(end time.Time) time.Duration {
	if e := r.schedEnd.Load(); e != 0 {
		return time.Duration(e)
	}
	return end.Sub(r.start)
}

func rate(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}
