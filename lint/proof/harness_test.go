package proof

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rehearse/rehearse/internal/migrate"
	"github.com/rehearse/rehearse/internal/pglock"
	"github.com/rehearse/rehearse/internal/pgtest"
	"github.com/rehearse/rehearse/lint"
	"github.com/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// baseDDL is the table most fixtures change; baseData gives it rows, so
// that scans and rewrites are seen.
const (
	baseDDL = `CREATE TABLE t (id bigint PRIMARY KEY, n integer NOT NULL, v varchar(50), note text);
CREATE TABLE child (id bigint PRIMARY KEY, t_id bigint);`
	baseData = `INSERT INTO t SELECT g, g, 'v' || g, NULL FROM generate_series(1, 2000) g;
INSERT INTO child SELECT g, g FROM generate_series(1, 200) g;`
)

// spec is a step of a fixture.
type spec struct {
	sql         string
	noTx        bool
	lockTimeout time.Duration
}

// cleanKind is what a fixture's safe form must measure.
type cleanKind int

const (
	// noSlowWork: no rewrite of the relation and no scan of it under a
	// write-blocking lock.
	noSlowWork cleanKind = iota
	// weakerLock: the lock measured on the relation is weaker than the
	// hazard's.
	weakerLock
	// succeeds: the safe form runs without error (and breaks no query).
	succeeds
	// boundedWait: the safe form gives up on lock_timeout (55P03) while a
	// session holds the table, instead of queueing the traffic.
	boundedWait
	// noSlowUnderLock: no statement scans or updates the relation while an
	// earlier statement of its transaction holds a write-blocking lock on it.
	noSlowUnderLock
)

// fixture proves one rule: its hazard form must be flagged and measured as
// the finding claims; its safe form must not be flagged (or milder) and
// must measure clean.
type fixture struct {
	rule string
	// ddl is given to the linter as the baseline schema; data is loaded
	// only into the database.
	ddl, data string
	hazard    []spec
	safe      []spec // nil: there is no safe form of the same change
	clean     cleanKind
	// queries run after the steps, for the claims about breaking code.
	queries []string
	// holder runs in a transaction left open while the steps run, for the
	// claims about lock queues.
	holder string
	opts   []lint.Option
	// extra checks, for the hazard form, what Check cannot read from a
	// step trace; it runs before the migration session closes.
	extra func(t *testing.T, dsn string, steps []result.Step)
	// hazardRun is set while the hazard form runs.
	hazardRun bool
}

func (fx fixture) schema() (string, string) {
	ddl, data := fx.ddl, fx.data
	if ddl == "" {
		ddl, data = baseDDL, baseData+fx.data
	}
	return ddl, data
}

func (fx fixture) lintOpts() []lint.Option {
	ddl, _ := fx.schema()
	opts := []lint.Option{lint.WithSchema(ddl)}
	var qs []lint.Query
	for i, q := range fx.queries {
		qs = append(qs, lint.Query{Workload: "old", Name: fmt.Sprint("q", i), SQL: q})
	}
	if len(qs) > 0 {
		opts = append(opts, lint.WithQueries(qs...))
	}
	if fx.holder != "" {
		opts = append(opts, lint.WithBackground(lint.Background{Name: "holder", SQL: fx.holder}))
	}
	return append(opts, fx.opts...)
}

func buildSteps(specs []spec) []*scenarios.Step {
	out := make([]*scenarios.Step, len(specs))
	for i, sp := range specs {
		st := &scenarios.Step{Name: fmt.Sprint("s", i), SQL: sp.sql, LockTimeout: scenarios.Duration(sp.lockTimeout)}
		if sp.noTx {
			st.Transaction = new(bool)
		}
		out[i] = st
	}
	return out
}

func ruleFindings(findings []lint.Finding, rule string) []lint.Finding {
	var out []lint.Finding
	for _, f := range findings {
		if f.Rule == rule {
			out = append(out, f)
		}
	}
	return out
}

// newDB is a database with the fixture's schema and rows.
func (fx fixture) newDB(t *testing.T) string {
	t.Helper()
	dsn := pgtest.NewDB(t)
	ddl, data := fx.schema()
	pgtest.Exec(t, dsn, ddl)
	if data != "" {
		pgtest.Exec(t, dsn, data)
	}
	// Statistics as a live database has them: the planner then scans as it
	// would there.
	var tables string
	conn := pgtest.Connect(t, dsn)
	if err := conn.QueryRow(context.Background(), `SELECT coalesce(string_agg(oid::regclass::text, ', '), '') FROM pg_class
WHERE relkind IN ('r', 'm') AND relnamespace = 'public'::regnamespace`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != "" {
		mustExec(t, conn, "ANALYZE "+tables) // the user's tables only: the catalogs take longer
	}
	return dsn
}

// run is what the steps of one form did.
type run struct {
	steps []result.Step
	// probed is the lock each step outside a transaction first asked for on
	// the relation, seen while a blocker held it.
	probed map[string]pglock.Mode
	broke  bool
	queued bool
}

// runSteps runs the steps as a rehearsal's migration session does. Steps
// outside a transaction leave no lock trace, so their lock on rel is read
// from pg_locks while a blocker makes them wait for it. With a holder, it
// checks whether the steps queue the traffic behind them.
func (fx fixture) runSteps(t *testing.T, dsn string, steps []*scenarios.Step, rel string) run {
	t.Helper()
	ctx := context.Background()
	r, err := migrate.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(ctx)
	out := run{probed: map[string]pglock.Mode{}}
	for _, st := range steps {
		var res result.Step
		switch {
		case fx.holder != "" && st.LockTimeout > 0:
			res = bounded(t, dsn, fx.holder, func() result.Step { return r.Run(ctx, st) })
		case fx.holder != "":
			res, out.queued = queueing(t, dsn, fx.holder, rel, func() result.Step { return r.Run(ctx, st) })
		case !st.InTransaction() && rel != "" && relExists(t, dsn, rel):
			var mode pglock.Mode
			res, mode = probeLock(t, dsn, rel, func() result.Step { return r.Run(ctx, st) })
			out.probed[st.Name] = mode
		default:
			res = r.Run(ctx, st)
		}
		out.steps = append(out.steps, res)
		if res.SQLState != "" {
			break
		}
	}
	if fx.extra != nil && fx.hazardRun {
		fx.extra(t, dsn, out.steps)
	}
	conn := pgtest.Connect(t, dsn)
	for _, q := range fx.queries {
		if _, err := conn.Exec(ctx, q); err != nil {
			out.broke = true
		}
	}
	return out
}

func relExists(t *testing.T, dsn, rel string) bool {
	var ok bool
	if err := pgtest.Connect(t, dsn).QueryRow(context.Background(), "SELECT to_regclass($1) IS NOT NULL", rel).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

// probeLock runs do while another session holds SHARE UPDATE EXCLUSIVE on
// rel, and returns the step and the mode do's session waited for: its
// first lock on rel of SHARE UPDATE EXCLUSIVE or stronger (the weaker ones
// conflict with no schema change and pass, like the ACCESS SHARE VACUUM
// takes to look the table up); None when it never waited.
func probeLock(t *testing.T, dsn, rel string, do func() result.Step) (result.Step, pglock.Mode) {
	t.Helper()
	ctx := context.Background()
	blocker := pgtest.Connect(t, dsn)
	mustExec(t, blocker, "BEGIN")
	mustExec(t, blocker, "LOCK TABLE "+rel+" IN SHARE UPDATE EXCLUSIVE MODE")
	done := make(chan result.Step, 1)
	go func() { done <- do() }()
	var mode string
	err := waitFor(ctx, dsn, func(c *pgx.Conn) (bool, error) {
		select {
		case res := <-done:
			done <- res
			return true, nil
		default:
		}
		err := c.QueryRow(ctx, `SELECT mode FROM pg_locks WHERE relation = $1::regclass AND NOT granted
  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`, rel).Scan(&mode)
		if errors.Is(err, pgx.ErrNoRows) {
			return false, nil
		}
		return err == nil, err
	})
	mustExec(t, blocker, "COMMIT")
	res := <-done
	if err != nil {
		t.Fatalf("waiting for the step to ask for its lock on %s: %v", rel, err)
	}
	return res, pglock.Parse(mode)
}

// queueing runs do while a transaction that ran holderSQL stays open; once
// do's session waits for its lock on rel, a reader of rel starts. It
// reports whether the reader queued behind do's session.
func queueing(t *testing.T, dsn, holderSQL, rel string, do func() result.Step) (result.Step, bool) {
	t.Helper()
	ctx := context.Background()
	holder := pgtest.Connect(t, dsn)
	mustExec(t, holder, "BEGIN")
	mustExec(t, holder, holderSQL)
	done := make(chan result.Step, 1)
	go func() { done <- do() }()
	var migPID int32
	err := waitFor(ctx, dsn, func(c *pgx.Conn) (bool, error) {
		select {
		case res := <-done: // it gave up (lock_timeout) without waiting long
			done <- res
			return true, nil
		default:
		}
		err := c.QueryRow(ctx, `SELECT pid FROM pg_locks WHERE relation = $1::regclass AND NOT granted
  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`, rel).Scan(&migPID)
		if errors.Is(err, pgx.ErrNoRows) {
			return false, nil
		}
		return err == nil, err
	})
	if err != nil {
		t.Fatalf("waiting for the step to wait: %v", err)
	}
	queued := false
	if migPID != 0 {
		reader := pgtest.Connect(t, dsn)
		readerPID := pid(t, reader)
		read := make(chan error, 1)
		go func() { _, err := reader.Exec(ctx, "SELECT count(*) FROM "+rel); read <- err }()
		err = waitFor(ctx, dsn, func(c *pgx.Conn) (bool, error) {
			err := c.QueryRow(ctx, `SELECT $2::int = ANY (pg_blocking_pids($1))`, readerPID, migPID).Scan(&queued)
			return queued, err
		})
		if err != nil {
			t.Fatalf("waiting for the reader to queue: %v", err)
		}
		mustExec(t, holder, "COMMIT")
		if err := <-read; err != nil {
			t.Fatal(err)
		}
	} else {
		mustExec(t, holder, "COMMIT")
	}
	return <-done, queued
}

// bounded runs do, whose step has a lock_timeout, while a transaction that
// ran holderSQL stays open: the step must give up rather than wait.
func bounded(t *testing.T, dsn, holderSQL string, do func() result.Step) result.Step {
	t.Helper()
	holder := pgtest.Connect(t, dsn)
	mustExec(t, holder, "BEGIN")
	mustExec(t, holder, holderSQL)
	res := do()
	mustExec(t, holder, "COMMIT")
	return res
}

func pid(t *testing.T, c *pgx.Conn) int32 {
	var p int32
	if err := c.QueryRow(context.Background(), "SELECT pg_backend_pid()").Scan(&p); err != nil {
		t.Fatal(err)
	}
	return p
}

// waitFor polls cond on its own connection until it holds, for at most 20s.
// It waits for a state of the server (a lock request seen in pg_locks), not
// for time to pass.
func waitFor(ctx context.Context, dsn string, cond func(*pgx.Conn) (bool, error)) error {
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		ok, err := cond(c)
		if err != nil || ok {
			return err
		}
		time.Sleep(2 * time.Millisecond)
	}
	return errors.New("timed out")
}

func mustExec(t *testing.T, c *pgx.Conn, sql string) {
	t.Helper()
	if _, err := c.Exec(context.Background(), sql); err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			t.Fatalf("%s: %s (%s)", sql, pe.Message, pe.Code)
		}
		t.Fatalf("%s: %v", sql, err)
	}
}

// measured is what Check gets for finding f from a run.
func (r run) measured(f lint.Finding) lint.Measured {
	var m lint.Measured
	for _, s := range r.steps {
		if s.Name == f.Step {
			m = Measure(s, f.Statement)
			if mode, ok := r.probed[s.Name]; ok && m.Ran && m.Locks == nil && m.SQLState == "" {
				m.Locks = map[string]pglock.Mode{f.Relation: mode}
			}
		}
	}
	return m
}

// measuredWith adds what the fixture's queries and holder showed.
func (fx fixture) measuredWith(r run, f lint.Finding) lint.Measured {
	m := r.measured(f)
	if len(fx.queries) > 0 {
		broke := r.broke
		m.Broke = &broke
	}
	if fx.holder != "" {
		queued := r.queued
		m.Queued = &queued
	}
	return m
}
