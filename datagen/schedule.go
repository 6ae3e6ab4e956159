package datagen

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/scenarios"
)

// Task priorities: lower runs first. Binding a table (reading its parents'
// keys) unblocks its chunks; chunks come before rebuilding indexes, so that
// loading is never starved; the later phases follow.
const (
	prioBind = iota
	prioChunk
	prioBuild
	prioAttach
	prioForeignKeys
	prioSettle
)

// loader runs one Load's work on its connections: one worker per
// connection takes the next task until none is left or one fails.
type loader struct {
	conns    []*pgx.Conn
	data     scenarios.Data
	plans    []*tablePlan
	tables   map[*tablePlan]*tableState
	keys     *keyCache
	ddl      *deferredDDL
	progress *progress

	mu      sync.Mutex
	cond    *sync.Cond
	queue   []*task // sorted by priority, then arrival
	loading []*tableState
	// outstanding counts tasks queued or running, and chunks not yet copied:
	// zero means everything is done.
	outstanding int
	arrivals    int
	err         error
	cancel      context.CancelFunc
	// executed holds the re-creating statements that ran, for restore.
	executed map[string]bool
	// indexed counts tables whose indexes and constraints are back.
	indexed, toIndex int
	fkStart          time.Time
}

// tableState is one table's progress through the load.
type tableState struct {
	p       *tablePlan
	rg      *rowGen
	chunks  int64
	next    int64 // the next chunk to hand out
	copied  int64 // chunks done
	rows    int64
	waiting int // dependencies not loaded yet
	start   time.Time
	loadMS  int64
	loaded  bool
	builds  int // index builds not finished
	built   time.Time
	bar     *tableBar
}

type task struct {
	prio, arrival int
	run           func(ctx context.Context, conn *pgx.Conn) error
}

func newLoader(conns []*pgx.Conn, data scenarios.Data, plans []*tablePlan, pr *progress) *loader {
	l := &loader{conns: conns, data: data, plans: plans, tables: map[*tablePlan]*tableState{},
		keys: newKeyCache(), progress: pr, executed: map[string]bool{}}
	l.cond = sync.NewCond(&l.mu)
	for _, p := range plans {
		l.tables[p] = &tableState{p: p, waiting: len(p.deps)}
	}
	return l
}

// run does the load and returns its first error.
func (l *loader) run(parent context.Context) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	l.cancel = cancel
	l.mu.Lock()
	for _, p := range l.plans {
		if p.rows > 0 {
			l.toIndex++
		}
	}
	for _, p := range l.plans {
		ts := l.tables[p]
		switch {
		case p.rows == 0:
			ts.loaded = true
		case ts.waiting == 0:
			l.addLocked(prioBind, l.bindTask(ts))
		}
	}
	l.mu.Unlock()
	var wg sync.WaitGroup
	for _, conn := range l.conns {
		wg.Go(func() { l.work(ctx, conn) })
	}
	wg.Wait()
	if err := parent.Err(); err != nil && l.err == nil {
		return fmt.Errorf("load data: %w", err)
	}
	return l.err
}

// work is one connection's loop.
func (l *loader) work(ctx context.Context, conn *pgx.Conn) {
	for {
		run := l.next()
		if run == nil {
			return
		}
		err := run(ctx, conn)
		l.mu.Lock()
		l.outstanding--
		if err != nil && l.err == nil {
			l.err = err
			l.cancel()
		}
		l.cond.Broadcast()
		l.mu.Unlock()
	}
}

// next waits for the next task; nil means stop.
func (l *loader) next() func(context.Context, *pgx.Conn) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for {
		if l.err != nil {
			return nil
		}
		if len(l.queue) > 0 && l.queue[0].prio < prioChunk {
			return l.pop()
		}
		if run := l.chunkLocked(); run != nil {
			return run
		}
		if len(l.queue) > 0 {
			return l.pop()
		}
		if l.outstanding == 0 {
			return nil
		}
		l.cond.Wait()
	}
}

func (l *loader) pop() func(context.Context, *pgx.Conn) error {
	t := l.queue[0]
	l.queue = l.queue[1:]
	return t.run
}

// addLocked queues a task; l.mu is held.
func (l *loader) addLocked(prio int, run func(context.Context, *pgx.Conn) error) {
	l.arrivals++
	l.outstanding++
	t := &task{prio: prio, arrival: l.arrivals, run: run}
	i, _ := slices.BinarySearchFunc(l.queue, t, func(a, b *task) int {
		if a.prio != b.prio {
			return a.prio - b.prio
		}
		return a.arrival - b.arrival
	})
	l.queue = slices.Insert(l.queue, i, t)
	l.cond.Broadcast()
}

func (l *loader) add(prio int, run func(context.Context, *pgx.Conn) error) {
	l.mu.Lock()
	l.addLocked(prio, run)
	l.mu.Unlock()
}

// chunkLocked hands out the next chunk of the first table still loading;
// an ordered table's next chunk only once the one before is copied.
func (l *loader) chunkLocked() func(context.Context, *pgx.Conn) error {
	for _, ts := range l.loading {
		if ts.next < ts.chunks && (!ts.p.ordered || ts.copied == ts.next) {
			i := ts.next
			ts.next++
			return func(ctx context.Context, conn *pgx.Conn) error { return l.copy(ctx, conn, ts, i) }
		}
	}
	return nil
}

func (l *loader) bindTask(ts *tableState) func(context.Context, *pgx.Conn) error {
	return func(ctx context.Context, conn *pgx.Conn) error {
		rg, err := bind(ctx, conn, ts.p, l.keys)
		if err != nil {
			return tableError(ctx, ts.p.name, err)
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		ts.rg = rg
		ts.chunks = (ts.p.rows + ChunkRows - 1) / ChunkRows
		ts.start = time.Now()
		ts.bar = l.progress.begin(ts.p.name, ts.p.rows)
		l.loading = append(l.loading, ts)
		l.outstanding += int(ts.chunks)
		l.cond.Broadcast()
		return nil
	}
}

func (l *loader) copy(ctx context.Context, conn *pgx.Conn, ts *tableState, i int64) error {
	n, err := copyChunk(ctx, conn, l.data.Seed, ts.p, ts.rg, i)
	l.mu.Lock()
	ts.rows += n
	ts.copied++
	last := ts.copied == ts.chunks
	l.mu.Unlock()
	if err != nil {
		return tableError(ctx, ts.p.name, err)
	}
	l.progress.add(ts.bar, n)
	if !last {
		return nil
	}
	return l.tableLoaded(ctx, conn, ts)
}

// tableLoaded moves the table's sequences past the loaded ids, lets the
// tables waiting for it start and queues its index builds.
func (l *loader) tableLoaded(ctx context.Context, conn *pgx.Conn, ts *tableState) error {
	if err := advanceSequences(ctx, conn, ts.p, ts.rg.seqs); err != nil {
		return fmt.Errorf("load table %s: %w", ts.p.name, err)
	}
	computedKeys(ts.p, l.keys)
	l.progress.end(ts.bar)
	l.mu.Lock()
	defer l.mu.Unlock()
	ts.loaded = true
	ts.loadMS = time.Since(ts.start).Milliseconds()
	l.loading = slices.DeleteFunc(l.loading, func(x *tableState) bool { return x == ts })
	for _, p := range l.plans {
		child := l.tables[p]
		if slices.Contains(p.deps, ts.p) {
			if child.waiting--; child.waiting == 0 {
				l.addLocked(prioBind, l.bindTask(child))
			}
		}
	}
	ts.built = time.Now()
	var td *tableDDL
	if l.ddl != nil {
		td = l.ddl.tables[ts.p.t.oid]
	}
	if td == nil || len(td.builds) == 0 {
		l.addLocked(prioAttach, l.attachTask(ts, td))
		return nil
	}
	ts.builds = len(td.builds)
	for _, s := range td.builds {
		l.addLocked(prioBuild, func(ctx context.Context, conn *pgx.Conn) error {
			if err := l.exec(ctx, conn, s); err != nil {
				return err
			}
			l.mu.Lock()
			defer l.mu.Unlock()
			if ts.builds--; ts.builds == 0 {
				l.addLocked(prioAttach, l.attachTask(ts, td))
			}
			return nil
		})
	}
	return nil
}

// exec runs a re-creating statement and remembers that it ran.
func (l *loader) exec(ctx context.Context, conn *pgx.Conn, s ddlStmt) error {
	if err := exec(ctx, conn, s); err != nil {
		return err
	}
	l.mu.Lock()
	l.executed[s.sql] = true
	l.mu.Unlock()
	return nil
}

// attachTask turns the table's built indexes into constraints and adds and
// validates its CHECK constraints; the last table done queues the foreign keys.
func (l *loader) attachTask(ts *tableState, td *tableDDL) func(context.Context, *pgx.Conn) error {
	return func(ctx context.Context, conn *pgx.Conn) error {
		if td != nil {
			stmts := td.after
			if a := td.attach(); a.sql != "" {
				stmts = append([]ddlStmt{a}, stmts...)
			}
			for _, s := range stmts {
				if err := l.exec(ctx, conn, s); err != nil {
					return err
				}
			}
			if n := len(td.builds) + td.checks; n > 0 {
				l.progress.logf("%s: %s rebuilt in %s", ts.p.name, plural(n, "index or constraint", "indexes and constraints"),
					time.Since(ts.built).Round(time.Millisecond))
			}
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.indexed++; l.indexed == l.toIndex {
			l.fkStart = time.Now()
			l.addLocked(prioForeignKeys, l.foreignKeysTask)
		}
		return nil
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// foreignKeysTask adds the foreign keys back NOT VALID (quick, but it
// locks both tables), then queues their validation, one task per table.
func (l *loader) foreignKeysTask(ctx context.Context, conn *pgx.Conn) error {
	if err := flushCommits(ctx, conn); err != nil {
		return err
	}
	var fks []*fkDDL
	if l.ddl != nil {
		fks = l.ddl.fks
	}
	byChild := map[string][]string{}
	var children []string
	for _, fk := range fks {
		if err := l.exec(ctx, conn, fk.add); err != nil {
			return err
		}
		for _, s := range fk.after {
			if err := l.exec(ctx, conn, s); err != nil {
				return err
			}
		}
		if fk.validate == "" {
			continue
		}
		child := fk.child.Sanitize()
		if byChild[child] == nil {
			children = append(children, child)
		}
		byChild[child] = append(byChild[child], fk.validate)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	remaining := len(children)
	if remaining == 0 {
		l.settleLocked()
		return nil
	}
	for _, child := range children {
		stmts := byChild[child]
		l.addLocked(prioForeignKeys, func(ctx context.Context, conn *pgx.Conn) error {
			for _, sql := range stmts {
				// Validating scans the child and probes the parent's key index,
				// under locks that let other tables' validations run alongside.
				if err := l.exec(ctx, conn, ddlStmt{sql, "foreign key of " + child}); err != nil {
					return err
				}
			}
			l.mu.Lock()
			defer l.mu.Unlock()
			if remaining--; remaining == 0 {
				l.progress.logf("foreign keys: %d validated in %s", len(fks), time.Since(l.fkStart).Round(time.Millisecond))
				l.settleLocked()
			}
			return nil
		})
	}
	return nil
}

// flushCommits makes sure the load's commits are on disk. They were
// asynchronous (synchronous_commit off), and until the WAL holding them is
// flushed VACUUM may not set their hint bits, nor mark their pages
// all-visible: index-only scans would then read the heap, as they do not
// on a production table. A transaction that writes WAL and commits
// synchronously flushes everything before it. Best effort: a role that may
// not emit WAL messages only gets fewer all-visible pages.
func flushCommits(ctx context.Context, conn *pgx.Conn) error {
	if _, err := conn.Exec(ctx, "SET synchronous_commit = on"); err != nil {
		return fmt.Errorf("flush the load's commits: %w", err)
	}
	_, _ = conn.Exec(ctx, "SELECT pg_logical_emit_message(true, 'rehearse', 'data loaded')")
	if _, err := conn.Exec(ctx, "SET synchronous_commit = off"); err != nil {
		return fmt.Errorf("flush the load's commits: %w", err)
	}
	return ctx.Err()
}

// settleLocked queues the VACUUM of each loaded table, then their
// ANALYZE. The two are separate phases: an ANALYZE holds a snapshot, and a
// VACUUM running alongside it cannot mark pages all-visible (which index-
// only scans need, as production tables have).
func (l *loader) settleLocked() {
	start := time.Now()
	var vacuums, analyzes []string
	for _, p := range l.plans {
		if p.rows == 0 {
			continue
		}
		v, a := settleSQL(l.data, p.t)
		if v != "" {
			vacuums = append(vacuums, v)
		}
		if a != "" {
			analyzes = append(analyzes, a)
		}
	}
	l.phaseLocked(vacuums, func() { l.phaseLocked(analyzes, func() { l.settled(start, len(vacuums), len(analyzes)) }) })
}

// phaseLocked runs sqls in parallel tasks, then then.
func (l *loader) phaseLocked(sqls []string, then func()) {
	if len(sqls) == 0 {
		then()
		return
	}
	remaining := len(sqls)
	for _, sql := range sqls {
		l.addLocked(prioSettle, func(ctx context.Context, conn *pgx.Conn) error {
			if _, err := conn.Exec(ctx, sql); err != nil {
				return fmt.Errorf("%s: %w", sql, err)
			}
			l.mu.Lock()
			defer l.mu.Unlock()
			if remaining--; remaining == 0 {
				then()
			}
			return nil
		})
	}
}

func (l *loader) settled(start time.Time, vacuums, analyzes int) {
	var what string
	switch {
	case vacuums > 0 && analyzes > 0:
		what = "vacuum (" + l.vacuumMode() + ") and analyze"
	case vacuums > 0:
		what = "vacuum (" + l.vacuumMode() + ")"
	case analyzes > 0:
		what = "analyze"
	default:
		return
	}
	l.progress.logf("%s: %s in %s", what, plural(max(vacuums, analyzes), "table", "tables"), time.Since(start).Round(time.Millisecond))
}

func (l *loader) vacuumMode() string {
	if l.data.Vacuum == VacuumPlain {
		return VacuumPlain
	}
	return VacuumFreeze
}

// results lists every planned table with what was loaded into it.
func (l *loader) results() []TableStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]TableStats, 0, len(l.plans))
	for _, p := range l.plans {
		ts := l.tables[p]
		out = append(out, TableStats{Name: p.name, Rows: ts.rows, LoadMS: ts.loadMS})
	}
	return out
}

// measure reads the size of each loaded table with its indexes.
func (l *loader) measure(ctx context.Context, tables []TableStats) error {
	conn := l.conns[0]
	for i, p := range l.plans {
		if err := conn.QueryRow(ctx, "SELECT pg_total_relation_size($1)", p.t.oid).Scan(&tables[i].Bytes); err != nil {
			return fmt.Errorf("size of %s: %w", p.name, err)
		}
	}
	return nil
}

// restore re-creates the dropped indexes and constraints after a failure,
// on a fresh connection (the loader's may be in a failed state).
func (l *loader) restore(dsn string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("re-create indexes and constraints: %w", err)
	}
	defer conn.Close(ctx)
	l.mu.Lock()
	done := l.executed
	l.mu.Unlock()
	if err := l.ddl.restore(ctx, conn, done); err != nil {
		return errors.Join(errors.New("some indexes or constraints dropped for the load could not be re-created"), err)
	}
	return nil
}
