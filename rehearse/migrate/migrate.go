// Package migrate runs migration steps on one session whose application_name
// is rehearse/migration, and records what each step did: duration, errors with
// SQLSTATE and position, relation locks held, and tables rewritten.
package migrate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rehearse/rehearse/rehearse/lockmon"
	"github.com/rehearse/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
)

// Runner executes steps one at a time on its own connection. It is not safe
// for concurrent use.
type Runner struct {
	conn     *pgx.Conn
	progress io.Writer
}

// Option configures a Runner.
type Option func(*Runner)

// WithProgress receives a line now and then during long batch steps.
func WithProgress(w io.Writer) Option { return func(r *Runner) { r.progress = w } }

// Connect opens the migration session.
func Connect(ctx context.Context, dsn string, opts ...Option) (*Runner, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("migration session: parse dsn: %w", err)
	}
	cfg.RuntimeParams["application_name"] = lockmon.MigrationApp
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("migration session: connect: %w", err)
	}
	r := &Runner{conn: conn, progress: io.Discard}
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
	out := result.Step{Name: step.Name, Locks: []result.StepLock{}, Rewrote: []string{}}
	pos := step.SQLPos
	if step.Batch != nil {
		pos = step.Batch.SQLPos
	}
	before, err := r.relfilenodes(ctx)
	if err != nil {
		return failed(out, err, pos)
	}
	began := time.Now()
	switch {
	case step.Batch != nil:
		err = r.runBatch(ctx, step, &out)
	case step.InTransaction():
		err = r.runInTransaction(ctx, step, &out)
	default:
		err = r.runEach(ctx, step)
	}
	out.DurationMS = time.Since(began).Milliseconds()
	if err != nil {
		return failed(out, err, pos)
	}
	after, err := r.relfilenodes(context.WithoutCancel(ctx))
	if err != nil {
		return failed(out, err, pos)
	}
	out.Rewrote = rewritten(before, after)
	return out
}

// runInTransaction runs the step's statements in one transaction and, before
// commit, reads the relation locks the transaction holds.
func (r *Runner) runInTransaction(ctx context.Context, step *scenarios.Step, out *result.Step) error {
	tx, err := r.conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := setTimeouts(ctx, tx.Conn(), step, "SET LOCAL"); err != nil {
		return err
	}
	locks := lockTrace{}
	observe := func(started time.Time) error { return locks.observe(ctx, tx.Conn(), started) }
	if err := ExecScript(ctx, tx, step.SQL, observe); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	out.Locks = locks.held(time.Now())
	return nil
}

// runEach runs statements one by one outside a transaction, as
// CREATE INDEX CONCURRENTLY needs. Their locks are seen by the lock monitor.
func (r *Runner) runEach(ctx context.Context, step *scenarios.Step) error {
	if err := setTimeouts(ctx, r.conn, step, "SET"); err != nil {
		return err
	}
	defer resetTimeouts(context.WithoutCancel(ctx), r.conn, step)
	return ExecScript(ctx, r.conn, step.SQL, nil)
}

// Execer is what runs a statement: a *pgx.Conn or a pgx.Tx.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// ExecScript splits text into statements with the PostgreSQL parser and runs
// them in order; after each one it calls after (when not nil) with the time
// the statement started. A failed statement is a *StatementError located in text.
func ExecScript(ctx context.Context, q Execer, text string, after func(started time.Time) error) error {
	stmts, err := scenarios.SplitStatements(text)
	if err != nil {
		return err
	}
	for _, stmt := range stmts {
		started := time.Now()
		if _, err := q.Exec(ctx, stmt.SQL); err != nil {
			return statementError(stmt, err)
		}
		if after == nil {
			continue
		}
		if err := after(started); err != nil {
			return err
		}
	}
	return nil
}

func setTimeouts(ctx context.Context, conn *pgx.Conn, step *scenarios.Step, set string) error {
	for name, d := range map[string]scenarios.Duration{"lock_timeout": step.LockTimeout, "statement_timeout": step.StatementTimeout} {
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

func resetTimeouts(ctx context.Context, conn *pgx.Conn, step *scenarios.Step) {
	if step.LockTimeout != 0 {
		conn.Exec(ctx, "RESET lock_timeout")
	}
	if step.StatementTimeout != 0 {
		conn.Exec(ctx, "RESET statement_timeout")
	}
}

// lockTrace remembers, per relation, the strongest lock held and when the
// statement that first took a lock of that strength started.
type lockTrace map[string]*tracedLock

type tracedLock struct {
	mode  string
	since time.Time
}

// ownLocksSQL lists the relation locks of this session on user relations.
// Relations that no longer exist (the transient heap of a rewrite) and TOAST
// tables (locked with their table) are left out.
const ownLocksSQL = `SELECT c.oid::regclass::text, l.mode FROM pg_locks l
JOIN pg_class c ON c.oid = l.relation
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted AND l.relation >= 16384
  AND n.nspname <> 'pg_toast'`

func (t lockTrace) observe(ctx context.Context, conn *pgx.Conn, statementStart time.Time) error {
	rows, err := conn.Query(ctx, ownLocksSQL)
	if err != nil {
		return fmt.Errorf("read own locks: %w", err)
	}
	var relation, mode string
	_, err = pgx.ForEachRow(rows, []any{&relation, &mode}, func() error {
		if cur, ok := t[relation]; !ok || lockmon.Stronger(mode, cur.mode) {
			t[relation] = &tracedLock{mode: mode, since: statementStart}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read own locks: %w", err)
	}
	return nil
}

func (t lockTrace) held(end time.Time) []result.StepLock {
	out := make([]result.StepLock, 0, len(t))
	for rel, l := range t {
		out = append(out, result.StepLock{Relation: rel, Mode: l.mode, HeldMS: float64(end.Sub(l.since).Microseconds()) / 1000})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Relation < out[j].Relation })
	return out
}

// relfilenodes maps each user table to its relfilenode: a change means the
// table was rewritten.
func (r *Runner) relfilenodes(ctx context.Context) (map[uint32]relFile, error) {
	rows, err := r.conn.Query(ctx, `SELECT c.oid, c.oid::regclass::text, c.relfilenode FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'`)
	if err != nil {
		return nil, fmt.Errorf("read relfilenodes: %w", err)
	}
	files := map[uint32]relFile{}
	var oid, node uint32
	var name string
	_, err = pgx.ForEachRow(rows, []any{&oid, &name, &node}, func() error {
		files[oid] = relFile{name: name, node: node}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read relfilenodes: %w", err)
	}
	return files, nil
}

type relFile struct {
	name string
	node uint32
}

func rewritten(before, after map[uint32]relFile) []string {
	out := []string{}
	for oid, b := range before {
		if a, ok := after[oid]; ok && a.node != b.node {
			out = append(out, a.name)
		}
	}
	sort.Strings(out)
	return out
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
		se.Offset += scenarios.ByteOffset(stmt.SQL, se.Position)
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
