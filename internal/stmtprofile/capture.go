// Package stmtprofile measures a database's traffic from pg_stat_statements:
// two reads a window apart, the difference per statement, cut to the
// statements on the profiled tables. pg_stat_statements keeps statements
// normalized (constants replaced by $n), so what it returns holds no value
// of the database.
package stmtprofile

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rehearse/rehearse/scenarios"
)

// DefaultWindow is the time between the two reads.
const DefaultWindow = 60 * time.Second

// DefaultCoverage is the share of calls the kept statements cover when no
// top count is given.
const DefaultCoverage = 0.95

// EnableHint is what a DBA runs to make pg_stat_statements available; the
// first line needs a server restart.
const EnableHint = "shared_preload_libraries = 'pg_stat_statements'   # postgresql.conf, then restart\n" +
	"CREATE EXTENSION pg_stat_statements;              # in the profiled database"

// ErrNoExtension means pg_stat_statements is not installed in the database
// or not loaded by the server.
var ErrNoExtension = errors.New("pg_stat_statements is not available")

// ErrNoPrivilege means the role cannot read other roles' statements.
var ErrNoPrivilege = errors.New("role cannot read all statements")

// Option configures Capture.
type Option func(*options)

type options struct {
	window time.Duration
	top    int
	wait   func(ctx context.Context) error
}

// WithWindow sets the time between the two reads (DefaultWindow).
func WithWindow(d time.Duration) Option { return func(o *options) { o.window = d } }

// WithTop keeps the n most called statements instead of those covering
// DefaultCoverage of the calls; 0 keeps the default.
func WithTop(n int) Option { return func(o *options) { o.top = n } }

// WithWait replaces the wait between the two reads: tests drive a known
// workload there. The window is still measured by the clock.
func WithWait(fn func(ctx context.Context) error) Option { return func(o *options) { o.wait = fn } }

// Capture is what Read measured, with what it left out.
type Capture struct {
	Window     scenarios.StatementsWindow
	Statements []scenarios.ProfileStatement
	// Skipped counts the statements left out by kind: "utility",
	// "other tables" (statements on tables outside the profile, the
	// profiler's own), "unparsed", "below coverage".
	Skipped map[string]int
	// Evicted is how many entries pg_stat_statements dropped during the
	// window for lack of room (pg_stat_statements.max): their calls are
	// missing. -1 when unknown.
	Evicted int64
}

// Read measures the statements run in conn's database during the window,
// keeping those whose every table is one of tables ("users", or
// "schema.table" outside public). conn should be read-only; it runs only
// catalog and pg_stat_statements queries.
func Read(ctx context.Context, conn *pgx.Conn, tables []string, opts ...Option) (*Capture, error) {
	o := options{window: DefaultWindow}
	for _, opt := range opts {
		opt(&o)
	}
	if o.wait == nil {
		o.wait = func(ctx context.Context) error { return sleep(ctx, o.window) }
	}
	if err := checkAvailable(ctx, conn); err != nil {
		return nil, err
	}
	q, err := snapshotSQL(ctx, conn)
	if err != nil {
		return nil, err
	}
	before, dealloc0, err := snapshot(ctx, conn, q)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if err := o.wait(ctx); err != nil {
		return nil, fmt.Errorf("statements: wait between reads: %w", err)
	}
	after, dealloc1, err := snapshot(ctx, conn, q)
	if err != nil {
		return nil, err
	}
	secs := time.Since(start).Seconds()
	c := summarize(diff(before, after), secs, tables, o.top)
	c.Evicted = -1
	if dealloc0 >= 0 && dealloc1 >= 0 {
		c.Evicted = dealloc1 - dealloc0
	}
	return c, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// checkAvailable tells a missing extension and a missing privilege apart
// from other failures, with what fixes them.
func checkAvailable(ctx context.Context, conn *pgx.Conn) error {
	var installed, member bool
	var role string
	err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'),
		pg_has_role(current_user, 'pg_read_all_stats', 'USAGE'), current_user`).Scan(&installed, &member, &role)
	if err != nil {
		return fmt.Errorf("statements: check pg_stat_statements: %w", err)
	}
	if !installed {
		return fmt.Errorf("%w: the extension is not created in this database; enable it with\n%s", ErrNoExtension, EnableHint)
	}
	if !member {
		return fmt.Errorf("%w: %s sees only its own statements in pg_stat_statements; run GRANT pg_read_all_stats TO %s (or profile as a role that has it)",
			ErrNoPrivilege, role, pgx.Identifier{role}.Sanitize())
	}
	return nil
}

// entry is one statement's cumulative counters.
type entry struct {
	query string
	calls float64
	total float64 // ms
	sumSq float64 // sum of squared times, ms²
	rows  float64
}

// snapshotSQL reads the counters of the current database's top-level
// statements (PostgreSQL 14 and later tell them from those run inside
// functions).
func snapshotSQL(ctx context.Context, conn *pgx.Conn) (string, error) {
	var num int
	if err := conn.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&num); err != nil {
		return "", fmt.Errorf("statements: server version: %w", err)
	}
	times, toplevel := "total_exec_time, stddev_exec_time", " AND s.toplevel"
	if num < 130000 {
		times = "total_time, stddev_time"
	}
	if num < 140000 {
		toplevel = ""
	}
	return `SELECT s.queryid, s.query, s.calls, s.` + times + `, s.rows FROM pg_stat_statements s
		WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND s.queryid IS NOT NULL` + toplevel, nil
}

func snapshot(ctx context.Context, conn *pgx.Conn, q string) (map[int64]*entry, int64, error) {
	rows, err := conn.Query(ctx, q)
	if err != nil {
		return nil, 0, explain(err)
	}
	defer rows.Close()
	out := map[int64]*entry{}
	for rows.Next() {
		var (
			id                  int64
			text                string
			calls, rowsN        int64
			total, stddev, mean float64
		)
		if err := rows.Scan(&id, &text, &calls, &total, &stddev, &rowsN); err != nil {
			return nil, 0, fmt.Errorf("statements: read pg_stat_statements: %w", err)
		}
		if calls > 0 {
			mean = total / float64(calls)
		}
		e := out[id]
		if e == nil { // one queryid per role: merged, the text is the same
			e = &entry{query: text}
			out[id] = e
		}
		e.calls += float64(calls)
		e.total += total
		e.sumSq += (stddev*stddev + mean*mean) * float64(calls)
		e.rows += float64(rowsN)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, explain(err)
	}
	dealloc := int64(-1)
	// pg_stat_statements_info exists from 1.9 (PostgreSQL 14).
	if err := conn.QueryRow(ctx, "SELECT dealloc FROM pg_stat_statements_info").Scan(&dealloc); err != nil {
		dealloc = -1
	}
	return out, dealloc, nil
}

// explain turns "must be loaded via shared_preload_libraries" into the
// lines that fix it.
func explain(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "55000" {
		return fmt.Errorf("%w: the extension exists but the server did not load it (%s); enable it with\n%s", ErrNoExtension, pe.Message, EnableHint)
	}
	return fmt.Errorf("statements: read pg_stat_statements: %w", err)
}

// diff is each statement's counters over the window. A statement whose
// calls went down was dropped and added again (eviction or a reset): its
// second read is all of the window that is known.
func diff(before, after map[int64]*entry) map[int64]*entry {
	out := map[int64]*entry{}
	for id, a := range after {
		d := *a
		if b := before[id]; b != nil && b.calls <= a.calls {
			d.calls -= b.calls
			d.total -= b.total
			d.sumSq -= b.sumSq
			d.rows -= b.rows
		}
		if d.calls > 0 {
			out[id] = &d
		}
	}
	return out
}

// stats turns window counters into the profile's figures.
func (e *entry) stats(id int64, secs float64) scenarios.ProfileStatement {
	mean := e.total / e.calls
	variance := math.Max(e.sumSq/e.calls-mean*mean, 0)
	return scenarios.ProfileStatement{Query: e.query, QueryID: id, CallsPerS: e.calls / secs,
		MeanMS: mean, StddevMS: math.Sqrt(variance), RowsPerCall: e.rows / e.calls}
}
