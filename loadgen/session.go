package loadgen

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rehearse/rehearse/internal/dbconn"
	"github.com/rehearse/rehearse/result"
)

// Background session limits.
const (
	// maxSessionRuns bounds the runs kept in a session's record.
	maxSessionRuns = 1000
	// sessionReadyTimeout bounds how long StartSession waits for a first run
	// due at once to hold its locks. A statement that takes no lock (SELECT
	// pg_sleep(20)) is only ever "ready" this way.
	sessionReadyTimeout = time.Second
	// sessionReadyPoll is the interval of that wait.
	sessionReadyPoll = 2 * time.Millisecond
)

// SessionSpec is what a background session runs.
type SessionSpec struct {
	// Name labels the session; its application_name is dbconn.Background(Name).
	Name string
	// SQL is one statement without parameters; its rows are discarded.
	SQL string
	// At delays the first run after StartSession.
	At time.Duration
	// Every repeats the run at this period, from run start to run start (a
	// run that overruns is followed at once), until Stop; 0 runs once.
	Every time.Duration
	// Hold keeps the run's transaction open, idle, this long after the
	// statement, then commits; 0 runs the statement on its own.
	Hold time.Duration
	// Isolation is the held transaction's level ("" is read committed).
	Isolation pgx.TxIsoLevel
	// Trigger describes when the session was started, for the record
	// ("start_at baseline").
	Trigger string
}

// SessionOption configures StartSession.
type SessionOption func(*sessionOptions)

type sessionOptions struct {
	epoch time.Time
	phase func() string
}

// WithSessionEpoch sets the time that run start_ms and end_ms are
// relative to (default: the session's start).
func WithSessionEpoch(t time.Time) SessionOption {
	return func(o *sessionOptions) { o.epoch = t }
}

// WithSessionPhase names the current phase, read when each run starts.
func WithSessionPhase(phase func() string) SessionOption {
	return func(o *sessionOptions) { o.phase = phase }
}

// Session is one running background session: a long query, a
// transaction left idle in transaction (Hold), an open snapshot, on its own
// connection. Its methods are safe for concurrent use; Stop must be called.
type Session struct {
	spec  SessionSpec
	opts  sessionOptions
	cfg   *pgx.ConnConfig
	conn  *pgx.Conn // owned by the loop goroutine until done is closed
	start time.Time

	cancel context.CancelFunc
	done   chan struct{} // the loop exited: no more runs
	ready  chan struct{} // a held run's statement is done, or the loop exited
	// readyOnce closes ready; used by the loop goroutine only.
	readyOnce sync.Once

	mu      sync.Mutex
	runs    []result.BackgroundRun
	omitted int
	pid     uint32

	stopOnce sync.Once
	final    result.BackgroundSession
}

// StartSession connects and starts the session's schedule: the first run
// At after now, then one every Every. ctx bounds connecting (and the wait
// below) only. When the first run is due at once, StartSession returns
// only once its statement holds a lock, waits for one, or has finished
// (bounded by sessionReadyTimeout), so that a migration step started next meets it.
func StartSession(ctx context.Context, dsn string, spec SessionSpec, opts ...SessionOption) (*Session, error) {
	if err := spec.validate(); err != nil {
		return nil, fmt.Errorf("background %q: %w", spec.Name, err)
	}
	o := sessionOptions{phase: func() string { return "" }}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	// Stop cancels a running statement with a cancel request, so that its
	// locks go at once and the connection can still say goodbye.
	cfg, err := dbconn.Config(dsn, dbconn.Background(spec.Name), dbconn.WithCancelRequest(cancelDeadline))
	if err != nil {
		return nil, fmt.Errorf("background %q: %w", spec.Name, err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("background %q: connect: %w", spec.Name, err)
	}
	b := &Session{spec: spec, opts: o, cfg: cfg, conn: conn, start: time.Now(),
		done: make(chan struct{}), ready: make(chan struct{}), pid: conn.PgConn().PID()}
	if b.opts.epoch.IsZero() {
		b.opts.epoch = b.start
	}
	loopCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	b.cancel = cancel
	go b.loop(loopCtx)
	if spec.At <= 0 {
		b.awaitReady(ctx, dsn)
	}
	return b, nil
}

func (s SessionSpec) validate() error {
	var errs []error
	if s.Name == "" {
		errs = append(errs, errors.New("name is empty"))
	}
	if s.SQL == "" {
		errs = append(errs, errors.New("sql is empty"))
	}
	if s.At < 0 || s.Every < 0 || s.Hold < 0 {
		errs = append(errs, fmt.Errorf("at %v, every %v and hold %v must be >= 0", s.At, s.Every, s.Hold))
	}
	switch s.Isolation {
	case "", pgx.ReadCommitted, pgx.RepeatableRead, pgx.Serializable:
	default:
		errs = append(errs, fmt.Errorf("isolation %q: use %q, %q or %q", s.Isolation, pgx.ReadCommitted, pgx.RepeatableRead, pgx.Serializable))
	}
	return errors.Join(errs...)
}

// Done is closed when the session will run no more: its one run finished,
// or Stop was called.
func (b *Session) Done() <-chan struct{} { return b.done }

// Stop cancels a run in progress (its transaction is rolled back; the run is
// recorded as cancelled, not failed), closes the connection and returns the
// session's record. Later calls return the same record.
func (b *Session) Stop(ctx context.Context) result.BackgroundSession {
	b.stopOnce.Do(func() {
		b.cancel()
		// The cancel request, cancelDeadline and closeTimeout bound this
		// wait, whatever ctx says.
		<-b.done
		b.final = b.Record()
	})
	return b.final
}

// Record returns the session's record so far.
func (b *Session) Record() result.BackgroundSession {
	b.mu.Lock()
	defer b.mu.Unlock()
	return result.BackgroundSession{Name: b.spec.Name, App: dbconn.Background(b.spec.Name), SQL: b.spec.SQL,
		Trigger: b.spec.Trigger, Runs: append([]result.BackgroundRun{}, b.runs...), RunsOmitted: b.omitted}
}

// loop runs the schedule until it ends or ctx is cancelled, then closes the
// connection.
func (b *Session) loop(ctx context.Context) {
	defer close(b.done)
	defer b.markReady()
	defer func() {
		if b.conn != nil {
			closeCtx, cancel := context.WithTimeout(context.Background(), closeTimeout)
			defer cancel()
			_ = b.conn.Close(closeCtx) // nothing to do about a failed goodbye
		}
	}()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	next := b.start.Add(b.spec.At)
	for {
		if !sleepUntil(ctx, timer, next) {
			return
		}
		began := time.Now()
		b.record(b.runOnce(ctx))
		if b.spec.Every <= 0 || ctx.Err() != nil {
			return
		}
		next = began.Add(b.spec.Every)
	}
}

func (b *Session) markReady() { b.readyOnce.Do(func() { close(b.ready) }) }

// runOnce runs the statement, in a held transaction when Hold is set.
func (b *Session) runOnce(ctx context.Context) result.BackgroundRun {
	run := result.BackgroundRun{Phase: b.opts.phase(), StartMS: b.sinceEpoch(time.Now())}
	if err := b.ensureConn(ctx); err != nil {
		return b.finishRun(ctx, run, err)
	}
	sent := time.Now()
	run.StartMS = b.sinceEpoch(sent)
	if b.spec.Hold <= 0 {
		_, err := b.conn.Exec(ctx, b.spec.SQL)
		run.QueryMS = msSince(sent)
		return b.finishRun(ctx, run, err)
	}
	tx, err := b.conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: b.spec.Isolation})
	if err != nil {
		return b.finishRun(ctx, run, fmt.Errorf("begin: %w", err))
	}
	_, err = tx.Exec(ctx, b.spec.SQL)
	run.QueryMS = msSince(sent)
	if err != nil {
		endTx(ctx, tx.Rollback)
		return b.finishRun(ctx, run, err)
	}
	b.markReady() // the statement is done and its locks are held until COMMIT
	idle := time.Now()
	held := sleepCtx(ctx, b.spec.Hold)
	run.HeldMS = msSince(idle)
	if !held {
		endTx(ctx, tx.Rollback)
		return b.finishRun(ctx, run, ctx.Err())
	}
	return b.finishRun(ctx, run, tx.Commit(ctx))
}

// finishRun completes a run's record. An error caused by Stop makes the run
// cancelled rather than failed.
func (b *Session) finishRun(ctx context.Context, run result.BackgroundRun, err error) result.BackgroundRun {
	run.EndMS = b.sinceEpoch(time.Now())
	switch {
	case err == nil:
	case ctx.Err() != nil:
		run.Cancelled = true
	default:
		run.Error = err.Error()
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) {
			run.SQLState = pgErr.Code
		}
	}
	return run
}

// endTx commits or rolls back even when ctx was cancelled by Stop.
func endTx(ctx context.Context, end func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
	defer cancel()
	_ = end(ctx) // pgx closes the connection when this fails; the next run reconnects
}

// ensureConn reconnects once when the connection broke in an earlier run.
func (b *Session) ensureConn(ctx context.Context) error {
	if b.conn != nil && !b.conn.IsClosed() {
		return nil
	}
	conn, err := pgx.ConnectConfig(ctx, b.cfg)
	if err != nil {
		return fmt.Errorf("reconnect: %w", err)
	}
	b.conn = conn
	b.mu.Lock()
	b.pid = conn.PgConn().PID()
	b.mu.Unlock()
	return nil
}

func (b *Session) record(run result.BackgroundRun) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.runs) >= maxSessionRuns {
		b.omitted++
		return
	}
	b.runs = append(b.runs, run)
}

func (b *Session) sinceEpoch(t time.Time) int64 { return t.Sub(b.opts.epoch).Milliseconds() }

func msSince(t time.Time) float64 { return float64(time.Since(t).Microseconds()) / 1000 }

// awaitReady waits, on a connection of its own, until the session's backend
// holds a lock other than its own transaction IDs or waits for a lock; or
// until a held run's statement is done, the first run ends, or sessionReadyTimeout.
// A failure to observe is not an error: the session runs all the same.
func (b *Session) awaitReady(ctx context.Context, dsn string) {
	ctx, cancel := context.WithTimeout(ctx, sessionReadyTimeout)
	defer cancel()
	obs, err := dbconn.Connect(ctx, dsn, dbconn.Prefix+"background-observer")
	if err != nil {
		return
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), closeTimeout)
		defer cancel()
		_ = obs.Close(closeCtx)
	}()
	tick := time.NewTicker(sessionReadyPoll)
	defer tick.Stop()
	for {
		select {
		case <-b.ready:
			return
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		b.mu.Lock()
		pid := b.pid
		b.mu.Unlock()
		var ready bool
		err := obs.QueryRow(ctx, `SELECT a.wait_event_type IS NOT DISTINCT FROM 'Lock'
			OR EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.granted
			           AND l.locktype NOT IN ('virtualxid', 'transactionid'))
			FROM pg_stat_activity a WHERE a.pid = $1`, int32(pid)).Scan(&ready)
		if err == nil && ready {
			return
		}
	}
}
