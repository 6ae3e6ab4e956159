package migrate

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/internal/dbconn"
	"github.com/rehearse/rehearse/internal/pglock"
	"github.com/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
)

// tracer follows a transactional step statement by statement. Inside the
// transaction the session sees its own uncommitted catalog changes and
// pg_stat_xact_user_tables, so each statement's locks, rewrites and table
// scans can be told apart exactly.
type tracer struct {
	conn  *pgx.Conn
	locks map[string]*tracedLock // relation → strongest lock so far
	files map[uint32]relFile     // table → relfilenode after the last statement
	scans map[uint32]tableReads  // table → sequential reads so far in this transaction
	// existed holds the tables there were before the step: one the step
	// creates is invisible to every other session until COMMIT, so its
	// scans and rewrites block nobody.
	existed map[uint32]bool
	stmts   []result.StatementTrace
	began   []time.Time // start of each traced statement
}

type tracedLock struct {
	mode  string
	since time.Time // start of the statement that took this mode
}

type tableReads struct {
	name         string
	rows, passes int64
}

func newTracer(ctx context.Context, conn *pgx.Conn) (*tracer, error) {
	t := &tracer{conn: conn, locks: map[string]*tracedLock{}}
	var err error
	if t.files, err = relfilenodes(ctx, conn, ""); err != nil {
		return nil, err
	}
	t.existed = make(map[uint32]bool, len(t.files))
	for oid := range t.files {
		t.existed[oid] = true
	}
	if t.scans, err = seqReads(ctx, conn, ""); err != nil {
		return nil, err
	}
	return t, nil
}

// after records what the statement that just finished did.
func (t *tracer) after(ctx context.Context, stmt scenarios.Statement, started time.Time) error {
	ended := time.Now()
	trace := result.StatementTrace{SQL: stmt.SQL, DurationMS: msSince(started, ended),
		Locks: []result.StepLock{}, Rewrote: []string{}, Scans: []result.TableScan{}}
	// The trace queries name stmt: while they run, a wait on the locks stmt
	// took must name stmt as its blocker, not them.
	comment := dbconn.TraceComment(stmt.SQL)
	modes, err := t.observeLocks(ctx, comment, started, &trace)
	if err != nil {
		return err
	}
	files, err := relfilenodes(ctx, t.conn, comment)
	if err != nil {
		return err
	}
	trace.Rewrote = rewritten(t.files, files, t.existed)
	t.files = files
	scans, err := seqReads(ctx, t.conn, comment)
	if err != nil {
		return err
	}
	trace.Scans = scanned(t.scans, scans, modes, t.existed)
	t.scans = scans
	t.stmts = append(t.stmts, trace)
	t.began = append(t.began, started)
	return nil
}

// observeLocks reads the session's relation locks, notes the ones this
// statement took or strengthened, and returns the current mode per relation.
func (t *tracer) observeLocks(ctx context.Context, comment string, started time.Time, trace *result.StatementTrace) (map[string]string, error) {
	rows, err := t.conn.Query(ctx, comment+ownLocksSQL)
	if err != nil {
		return nil, fmt.Errorf("read own locks: %w", err)
	}
	modes := map[string]string{}
	var relation, mode string
	_, err = pgx.ForEachRow(rows, []any{&relation, &mode}, func() error {
		if pglock.Stronger(mode, modes[relation]) {
			modes[relation] = mode
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read own locks: %w", err)
	}
	for relation, mode := range modes {
		if cur, ok := t.locks[relation]; ok && !pglock.Stronger(mode, cur.mode) {
			continue
		}
		t.locks[relation] = &tracedLock{mode: mode, since: started}
		trace.Locks = append(trace.Locks, result.StepLock{Relation: relation, Mode: mode})
	}
	sort.Slice(trace.Locks, func(i, j int) bool { return trace.Locks[i].Relation < trace.Locks[j].Relation })
	return modes, nil
}

// finish closes the trace at the end of the transaction: every lock was held
// until then.
func (t *tracer) finish(out *result.Step, end time.Time) {
	out.Locks = make([]result.StepLock, 0, len(t.locks))
	for rel, l := range t.locks {
		out.Locks = append(out.Locks, result.StepLock{Relation: rel, Mode: l.mode, HeldMS: msSince(l.since, end)})
	}
	sort.Slice(out.Locks, func(i, j int) bool { return out.Locks[i].Relation < out.Locks[j].Relation })
	for i := range t.stmts {
		for j := range t.stmts[i].Locks {
			t.stmts[i].Locks[j].HeldMS = msSince(t.began[i], end)
		}
		out.Rewrote = appendNew(out.Rewrote, t.stmts[i].Rewrote...)
		out.Scans = append(out.Scans, t.stmts[i].Scans...)
	}
	out.Statements = t.stmts
}

// ownLocksSQL lists the relation locks of this session on user relations.
// Relations that no longer exist (the transient heap of a rewrite) and TOAST
// tables (locked with their table) are left out.
const ownLocksSQL = `SELECT c.oid::regclass::text, l.mode FROM pg_locks l
JOIN pg_class c ON c.oid = l.relation
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted AND l.relation >= 16384
  AND n.nspname <> 'pg_toast'`

// seqReads reads how many rows this transaction read by sequential scans, per
// table; pg_stat_xact_user_tables includes the transaction's own activity.
func seqReads(ctx context.Context, conn *pgx.Conn, comment string) (map[uint32]tableReads, error) {
	rows, err := conn.Query(ctx, comment+`SELECT relid, relid::regclass::text, coalesce(seq_tup_read, 0), coalesce(seq_scan, 0) FROM pg_stat_xact_user_tables`)
	if err != nil {
		return nil, fmt.Errorf("read table scans: %w", err)
	}
	reads := map[uint32]tableReads{}
	var oid uint32
	var r tableReads
	_, err = pgx.ForEachRow(rows, []any{&oid, &r.name, &r.rows, &r.passes}, func() error {
		reads[oid] = r
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read table scans: %w", err)
	}
	return reads, nil
}

// scanned lists the tables read sequentially between two snapshots, with the
// lock the statement held on each. Only a table that existed before the step
// can block another session's writes.
func scanned(before, after map[uint32]tableReads, modes map[string]string, existed map[uint32]bool) []result.TableScan {
	out := []result.TableScan{}
	for oid, a := range after {
		if n := a.rows - before[oid].rows; n > 0 {
			mode := modes[a.name]
			out = append(out, result.TableScan{Relation: a.name, Rows: n, Passes: a.passes - before[oid].passes,
				Mode: mode, BlocksWrites: existed[oid] && pglock.BlocksWrites(mode)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Relation < out[j].Relation })
	return out
}

// relfilenodes maps each user table to its relfilenode: a change means the
// table was rewritten.
func relfilenodes(ctx context.Context, conn *pgx.Conn, comment string) (map[uint32]relFile, error) {
	rows, err := conn.Query(ctx, comment+`SELECT c.oid, c.oid::regclass::text, c.relfilenode FROM pg_class c
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

// rewritten lists the tables whose relfilenode changed; with existed, only
// those that were there before the step (a rewrite of the step's own new
// table blocks nobody).
func rewritten(before, after map[uint32]relFile, existed map[uint32]bool) []string {
	out := []string{}
	for oid, b := range before {
		if existed != nil && !existed[oid] {
			continue
		}
		if a, ok := after[oid]; ok && a.node != b.node {
			out = append(out, a.name)
		}
	}
	sort.Strings(out)
	return out
}

func appendNew(list []string, items ...string) []string {
	for _, it := range items {
		found := false
		for _, have := range list {
			found = found || have == it
		}
		if !found {
			list = append(list, it)
		}
	}
	return list
}

func msSince(from, to time.Time) float64 { return float64(to.Sub(from).Microseconds()) / 1000 }
