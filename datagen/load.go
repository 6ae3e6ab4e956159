package datagen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brianvoe/gofakeit/v7"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rehearse/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
)

// ChunkRows is the number of rows generated from one seeded Faker and sent in
// one COPY. It is part of what a seed means: changing it changes the data.
const ChunkRows = 10_000

// ApplicationName is the application_name of the loader's connections.
const ApplicationName = "rehearse/datagen"

// Option configures Load.
type Option func(*options)

type options struct {
	conns    int
	progress io.Writer
	tty      bool
}

// WithConnections loads over n connections in parallel (n < 1: the default,
// min(4, 2×GOMAXPROCS)). The data does not depend on n.
func WithConnections(n int) Option {
	return func(o *options) {
		if n >= 1 {
			o.conns = n
		}
	}
}

// WithProgress reports progress to w. With tty set, each table has one line
// rewritten in place ("\r") at most five times a second; otherwise a line is
// written at every 10% of a table and when it is done. Writes come from the
// loading goroutines, one at a time; write errors are ignored.
func WithProgress(w io.Writer, tty bool) Option {
	return func(o *options) { o.progress, o.tty = w, tty }
}

// Load fills the tables of data, in the given order (a table before the
// tables whose refs point at it), over parallel connections to dsn. Every
// table and column is checked against the catalog first, and all problems are
// reported together before any row is written. Described columns are written
// with COPY; other columns are left to the database, except that integer
// columns owning a sequence (serial, identity) get the values the sequence
// would give a serial load, which is then advanced past them: that keeps ids
// reproducible under parallel loading. Each loaded table is analyzed.
//
// The returned Data lists the tables loaded so far even on error. Errors name
// the table; database errors keep their *pgconn.PgError in the chain.
// Cancelling ctx stops loading promptly with an error wrapping ctx.Err().
// Data loaded before an error stays in the database. Load keeps no state
// between calls; calls for different databases may run at the same time.
func Load(ctx context.Context, dsn string, data scenarios.Data, order []string, opts ...Option) (result.Data, error) {
	o := options{conns: min(4, 2*runtime.GOMAXPROCS(0))}
	for _, opt := range opts {
		opt(&o)
	}
	start := time.Now()
	var out result.Data
	if err := ctx.Err(); err != nil {
		return out, fmt.Errorf("load data: %w", err)
	}
	conns, err := connect(ctx, dsn, o.conns)
	if err != nil {
		return out, err
	}
	defer closeAll(conns)
	plans, err := plan(ctx, newCatalog(conns[0]), data, order)
	if err != nil {
		return out, err
	}
	l := &loader{conns: conns, seed: data.Seed, keys: CachedKeys(ctx, conns[0]), progress: newProgress(o.progress, o.tty)}
	for _, p := range plans {
		tl, err := l.loadTable(ctx, p)
		if err != nil {
			out.LoadMS = time.Since(start).Milliseconds()
			return out, err
		}
		out.Tables = append(out.Tables, tl)
	}
	err = l.finish(ctx, out.Tables)
	out.LoadMS = time.Since(start).Milliseconds()
	return out, err
}

func connect(ctx context.Context, dsn string, n int) ([]*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("load data: %w", err)
	}
	cfg.RuntimeParams["application_name"] = ApplicationName
	// The database is disposable: waiting for each COPY's WAL flush buys
	// nothing but time.
	cfg.RuntimeParams["synchronous_commit"] = "off"
	conns := make([]*pgx.Conn, 0, n)
	for range n {
		c, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			closeAll(conns)
			return nil, fmt.Errorf("load data: connect: %w", err)
		}
		registerDecimal(c)
		conns = append(conns, c)
	}
	return conns, nil
}

func closeAll(conns []*pgx.Conn) {
	for _, c := range conns {
		// A fresh context: closing must not be skipped because ctx was cancelled.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c.Close(ctx)
		cancel()
	}
}

// loader runs the loads of one Load call.
type loader struct {
	conns    []*pgx.Conn
	seed     int64
	keys     KeySource
	progress *progress
}

// boundCol is a COPY column ready to generate values.
type boundCol struct {
	name string
	fn   RowFunc
	conv converter
}

func (c *boundCol) value(f *gofakeit.Faker, row int64) (any, error) {
	v := c.fn(f, row)
	if v == nil || c.conv == nil {
		return v, nil
	}
	v, err := c.conv(v)
	if err != nil {
		return nil, fmt.Errorf("column %q: %w", c.name, err)
	}
	return v, nil
}

func (l *loader) loadTable(ctx context.Context, p *tablePlan) (result.TableLoad, error) {
	start := time.Now()
	tl := result.TableLoad{Name: p.name}
	if p.rows == 0 {
		return tl, nil // nothing to generate, so no keys needed either
	}
	cols, seqs, err := l.bind(ctx, p)
	if err != nil {
		return tl, fmt.Errorf("load table %s: %w", p.name, err)
	}
	l.progress.begin(p.name, p.rows)
	tl.Rows, err = l.copyTable(ctx, p, cols)
	if err != nil {
		return tl, tableError(ctx, p.name, err)
	}
	if err := l.advanceSequences(ctx, p, seqs); err != nil {
		return tl, fmt.Errorf("load table %s: %w", p.name, err)
	}
	tl.LoadMS = time.Since(start).Milliseconds()
	l.progress.end()
	return tl, nil
}

// bind makes each planned column ready: refs get their keys, sequence-filled
// columns the sequence's next value.
func (l *loader) bind(ctx context.Context, p *tablePlan) ([]*boundCol, []*seqFill, error) {
	var cols []*boundCol
	var seqs []*seqFill
	for _, cp := range p.cols {
		bc := &boundCol{name: cp.col.name, fn: cp.fn, conv: cp.conv}
		switch {
		case cp.spec == nil:
			s, err := newSeqFill(ctx, l.conns[0], cp.col, p.rows)
			if err != nil {
				return nil, nil, err
			}
			if s == nil {
				continue // left to the database
			}
			bc.fn = s.value
			seqs = append(seqs, s)
		case cp.fn == nil:
			fn, err := CompileRow(cp.spec, l.keys)
			if err != nil {
				return nil, nil, fmt.Errorf("column %q: %w", cp.col.name, err)
			}
			bc.fn = fn
		case cp.col.sequence != "":
			seqs = append(seqs, &seqFill{col: cp.col, written: true})
		}
		cols = append(cols, bc)
	}
	return cols, seqs, nil
}

// copyTable generates and copies the table's chunks over all connections.
func (l *loader) copyTable(parent context.Context, p *tablePlan, cols []*boundCol) (int64, error) {
	if len(cols) == 0 {
		return l.insertDefaults(parent, p)
	}
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	chunks := (p.rows + ChunkRows - 1) / ChunkRows
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
	}
	var (
		next, total atomic.Int64
		once        sync.Once
		firstErr    error
		wg          sync.WaitGroup
	)
	for _, conn := range l.conns[:min(int64(len(l.conns)), chunks)] {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < chunks && ctx.Err() == nil; i = next.Add(1) - 1 {
				n, err := l.copyChunk(ctx, conn, p, names, cols, i)
				total.Add(n)
				if err != nil {
					once.Do(func() { firstErr = err })
					cancel() // the other workers stop too
					return
				}
				l.progress.add(n)
			}
		})
	}
	wg.Wait()
	if err := parent.Err(); err != nil {
		return total.Load(), err
	}
	return total.Load(), firstErr
}

// copyChunk copies chunk i, generating its rows while they are sent.
func (l *loader) copyChunk(ctx context.Context, conn *pgx.Conn, p *tablePlan, names []string, cols []*boundCol, i int64) (int64, error) {
	first := i * ChunkRows
	src := &chunkSource{
		ctx:  ctx,
		f:    SeededFaker(l.seed, p.name, i),
		cols: cols,
		row:  first,
		end:  min(first+ChunkRows, p.rows),
		vals: make([]any, len(cols)),
	}
	return conn.CopyFrom(ctx, p.t.ident, names, src)
}

// insertDefaults loads a table whose every column is left to the database.
func (l *loader) insertDefaults(ctx context.Context, p *tablePlan) (int64, error) {
	tag, err := l.conns[0].Exec(ctx, "INSERT INTO "+p.t.ident.Sanitize()+" SELECT FROM generate_series(1, $1)", p.rows)
	if err != nil {
		return 0, err
	}
	l.progress.add(tag.RowsAffected())
	return tag.RowsAffected(), nil
}

// chunkSource is a pgx.CopyFromSource generating rows [row, end) lazily, so a
// table never sits in memory. pgx calls it from one goroutine.
type chunkSource struct {
	ctx      context.Context
	f        *gofakeit.Faker
	cols     []*boundCol
	row, end int64
	vals     []any
	err      error
}

var _ pgx.CopyFromSource = (*chunkSource)(nil)

// Next generates the next row; it checks ctx every 1024 rows so that Ctrl-C
// stops a chunk without waiting for it.
func (s *chunkSource) Next() bool {
	if s.row >= s.end || s.err != nil {
		return false
	}
	if s.row%1024 == 0 && s.ctx.Err() != nil {
		s.err = s.ctx.Err()
		return false
	}
	for i, c := range s.cols {
		v, err := c.value(s.f, s.row)
		if err != nil {
			s.err = fmt.Errorf("row %d: %w", s.row+1, err)
			return false
		}
		s.vals[i] = v
	}
	s.row++
	return true
}

// Values returns the row made by Next; pgx encodes it before calling Next
// again, so the slice is reused.
func (s *chunkSource) Values() ([]any, error) { return s.vals, nil }

// Err is the error that stopped Next, if any.
func (s *chunkSource) Err() error { return s.err }

var uniqueKey = regexp.MustCompile(`^Key \((.+?)\)=`)

// tableError wraps a load failure, explaining unique violations, which come
// from generators with too few distinct values.
func tableError(ctx context.Context, table string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("load table %s: %w", table, ctx.Err())
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		what := "generated values repeat"
		if m := uniqueKey.FindStringSubmatch(pgErr.Detail); m != nil {
			what = fmt.Sprintf("generated values of (%s) repeat", m[1])
		}
		return fmt.Errorf("load table %s: %s, but unique constraint %q forbids it; "+
			"give the column gen: sequential or a generator with more distinct values: %w", table, what, pgErr.ConstraintName, err)
	}
	return fmt.Errorf("load table %s: %w", table, err)
}

// finish analyzes the loaded tables, so that traffic starts with real
// statistics, and measures their size.
func (l *loader) finish(ctx context.Context, tables []result.TableLoad) error {
	conn := l.conns[0]
	for i := range tables {
		ident := tableIdent(tables[i].Name).Sanitize()
		if _, err := conn.Exec(ctx, "ANALYZE "+ident); err != nil {
			return fmt.Errorf("analyze %s: %w", tables[i].Name, err)
		}
		if err := conn.QueryRow(ctx, "SELECT pg_total_relation_size($1::regclass)", ident).Scan(&tables[i].Bytes); err != nil {
			return fmt.Errorf("size of %s: %w", tables[i].Name, err)
		}
	}
	return nil
}
