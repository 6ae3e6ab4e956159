// Package migrate runs migration steps on one session whose application_name
// is rehearse/migration, and records what each step did: duration, errors with
// SQLSTATE and position, relation locks held, and tables rewritten.
package migrate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rehearse/rehearse/internal/dbconn"
	"github.com/rehearse/rehearse/internal/pgsql"
	"github.com/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
)

// Runner executes steps one at a time on its own connection. It is not safe
// for concurrent use.
type Runner struct {
	conn     *pgx.Conn
	dsn      string
	progress io.Writer
	liveP99  func() time.Duration
	// replicaLag is the standby's replay lag, for throttle.max_replication_lag.
	replicaLag func() time.Duration
}

// Option configures a Runner.
type Option func(*Runner)

// WithProgress receives a line now and then during long batch steps.
func WithProgress(w io.Writer) Option { return func(r *Runner) { r.progress = w } }

// WithLiveP99 tells batch steps with a throttle the traffic's current p99.
func WithLiveP99(p99 func() time.Duration) Option { return func(r *Runner) { r.liveP99 = p99 } }

// WithReplicaLag tells batch steps with throttle.max_replication_lag the
// standby's current replay lag.
func WithReplicaLag(lag func() time.Duration) Option { return func(r *Runner) { r.replicaLag = lag } }

// Connect opens the migration session.
func Connect(ctx context.Context, dsn string, opts ...Option) (*Runner, error) {
	// Cancelling a step (Ctrl-C, the abort_on guard) sends the server a cancel
	// request instead of closing the session, which rollback steps still need.
	conn, err := dbconn.Connect(ctx, dsn, dbconn.Migration, dbconn.WithCancelRequest(5*time.Second))
	if err != nil {
		return nil, fmt.Errorf("migration session: %w", err)
	}
	r := &Runner{conn: conn, dsn: dsn, progress: io.Discard, liveP99: func() time.Duration { return 0 },
		replicaLag: func() time.Duration { return 0 }}
	for _, opt := range opts {
		opt(r)
	}
	return r, nil
}

// Close ends the migration session.
func (r *Runner) Close(ctx context.Context) error { return r.conn.Close(ctx) }

// Run executes one step. A failure is reported in the returned Step (Error,
// SQLState, Statement, Position, Line, Column), not as a Go error: a failing
// migration is a finding of the rehearsal.
func (r *Runner) Run(ctx context.Context, step *scenarios.Step) result.Step {
	out := result.Step{Name: step.Name, Locks: []result.StepLock{}, Rewrote: []string{}, Scans: []result.TableScan{}}
	pos := step.SQLPos
	if step.Batch != nil {
		pos = step.Batch.SQLPos
	}
	before, err := relfilenodes(ctx, r.conn, "")
	if err != nil {
		return failed(out, err, pos)
	}
	began := time.Now()
	switch {
	case step.Batch != nil:
		err = r.runBatch(ctx, step, &out)
	case step.Command != nil:
		err = r.runCommand(ctx, step, &out)
	default:
		err = r.runSQL(ctx, step, &out)
	}
	out.DurationMS = time.Since(began).Milliseconds()
	if err != nil {
		return failed(out, err, pos)
	}
	after, err := relfilenodes(context.WithoutCancel(ctx), r.conn, "")
	if err != nil {
		return failed(out, err, pos)
	}
	out.Rewrote = rewritten(before, after, nil)
	return out
}

// runSQL runs a SQL step, trying again after a pause when it fails on
// lock_timeout and the step has retry set. A transactional step is retried
// whole (its transaction rolled back); outside a transaction the retry starts
// at the statement that timed out, since the ones before it are done.
func (r *Runner) runSQL(ctx context.Context, step *scenarios.Step, out *result.Step) error {
	policy := retryPolicyOf(step)
	from := 0
	for attempt := 1; ; attempt++ {
		var err error
		if step.InTransaction() {
			err = r.runInTransaction(ctx, step, policy.timeouts, out)
		} else {
			from, err = r.runEach(ctx, step, policy.timeouts, from)
		}
		if step.Retry != nil {
			out.Attempts = attempt
		}
		if err == nil || !isLockTimeout(err) || attempt >= policy.attempts {
			return err
		}
		out.LockTimeouts++
		fmt.Fprintf(r.progress, "  %s: lock_timeout on try %d, again in %s\n", step.Name, attempt, policy.backoff(attempt))
		if err := pause(ctx, policy.backoff(attempt)); err != nil {
			return err
		}
	}
}

// runInTransaction runs the step's statements in one transaction, tracing
// each statement's locks, rewrites and scans before the commit.
func (r *Runner) runInTransaction(ctx context.Context, step *scenarios.Step, t timeouts, out *result.Step) error {
	tx, err := r.conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := t.set(ctx, tx.Conn(), "SET LOCAL"); err != nil {
		return err
	}
	trace, err := newTracer(ctx, tx.Conn())
	if err != nil {
		return err
	}
	after := func(stmt scenarios.Statement, started time.Time) error { return trace.after(ctx, stmt, started) }
	if _, err := execScript(ctx, tx, step.SQL, 0, after); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	trace.finish(out, time.Now())
	return nil
}

// runEach runs statements one by one outside a transaction, as CREATE INDEX
// CONCURRENTLY needs, starting at statement from; it returns the index of
// the statement that failed. Their locks are seen by the lock monitor.
func (r *Runner) runEach(ctx context.Context, step *scenarios.Step, t timeouts, from int) (int, error) {
	if err := t.set(ctx, r.conn, "SET"); err != nil {
		return from, err
	}
	defer t.reset(context.WithoutCancel(ctx), r.conn)
	return execScript(ctx, r.conn, step.SQL, from, nil)
}

// Execer is what runs a statement: a *pgx.Conn or a pgx.Tx.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// ExecScript splits text into statements with the PostgreSQL parser and runs
// them in order; after each one it calls after (when not nil) with the
// statement and the time it started. A failed statement is a
// *StatementError located in text.
func ExecScript(ctx context.Context, q Execer, text string, after func(stmt scenarios.Statement, started time.Time) error) error {
	_, err := execScript(ctx, q, text, 0, after)
	return err
}

// execScript is ExecScript from statement index from on; it returns the
// index of the statement that failed.
func execScript(ctx context.Context, q Execer, text string, from int, after func(stmt scenarios.Statement, started time.Time) error) (int, error) {
	stmts, err := pgsql.Split(text)
	if err != nil {
		return from, err
	}
	for i := from; i < len(stmts); i++ {
		started := time.Now()
		if _, err := q.Exec(ctx, stmts[i].SQL); err != nil {
			return i, statementError(stmts[i], err)
		}
		if after == nil {
			continue
		}
		if err := after(stmts[i], started); err != nil {
			return i, err
		}
	}
	return len(stmts), nil
}

// timeouts are the session timeouts of one try of a step; zero leaves the
// server's setting.
type timeouts struct {
	lock, statement scenarios.Duration
}

func (t timeouts) set(ctx context.Context, conn *pgx.Conn, set string) error {
	for name, d := range map[string]scenarios.Duration{"lock_timeout": t.lock, "statement_timeout": t.statement} {
		if d == 0 {
			continue
		}
		sql := fmt.Sprintf("%s %s = %d", set, name, d.D().Milliseconds())
		if _, err := conn.Exec(ctx, sql); err != nil {
			return fmt.Errorf("%s: %w", sql, err)
		}
	}
	return nil
}

func (t timeouts) reset(ctx context.Context, conn *pgx.Conn) {
	if t.lock != 0 {
		conn.Exec(ctx, "RESET lock_timeout")
	}
	if t.statement != 0 {
		conn.Exec(ctx, "RESET statement_timeout")
	}
}

// retryPolicy is how a step is retried: one try unless the step sets retry.
type retryPolicy struct {
	attempts int
	first    time.Duration // pause after the first failed try; doubles after each
	timeouts timeouts
}

// Retry defaults, for the fields a scenario leaves out.
const (
	DefaultRetryAttempts    = 5
	DefaultRetryLockTimeout = 2 * time.Second
	DefaultRetryBackoff     = time.Second
)

func retryPolicyOf(step *scenarios.Step) retryPolicy {
	p := retryPolicy{attempts: 1, timeouts: timeouts{lock: step.LockTimeout, statement: step.StatementTimeout}}
	rt := step.Retry
	if rt == nil {
		return p
	}
	p.attempts, p.first, p.timeouts.lock = rt.Attempts, rt.Backoff.D(), rt.LockTimeout
	if p.attempts == 0 {
		p.attempts = DefaultRetryAttempts
	}
	if p.timeouts.lock == 0 {
		p.timeouts.lock = scenarios.Duration(DefaultRetryLockTimeout)
	}
	if p.first == 0 {
		p.first = DefaultRetryBackoff
	}
	return p
}

func (p retryPolicy) backoff(failedTries int) time.Duration {
	return p.first << min(failedTries-1, 10)
}

func isLockTimeout(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "55P03"
}

// StatementError is a failed statement of a script, located in the script.
type StatementError struct {
	Statement string
	// Position is the server's 1-based character position in Statement; 0 when it gave none.
	Position int
	// Offset is the byte offset in the script of the error, or of the
	// statement's start when the server gave no position.
	Offset int
	Err    error
}

func (e *StatementError) Error() string { return e.Err.Error() }

func (e *StatementError) Unwrap() error { return e.Err }

func statementError(stmt scenarios.Statement, err error) error {
	se := &StatementError{Statement: stmt.SQL, Offset: stmt.Offset, Err: err}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Position > 0 {
		se.Position = int(pgErr.Position)
		se.Offset += pgsql.ByteOffset(stmt.SQL, se.Position)
	}
	return se
}

// failed records err in out; pos maps a byte offset in the step's SQL to the scenario file.
func failed(out result.Step, err error, pos func(offset int) scenarios.Pos) result.Step {
	out.Error = err.Error()
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		out.SQLState = pgErr.Code
		out.Error = pgErr.Message
		if pgErr.Detail != "" {
			out.Error += ": " + pgErr.Detail
		}
	}
	var se *StatementError
	if errors.As(err, &se) {
		out.Statement, out.Position = se.Statement, se.Position
		p := pos(se.Offset)
		out.Line, out.Column = p.Line, p.Col
	}
	return out
}
