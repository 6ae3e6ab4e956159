package datagen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"time"

	"github.com/brianvoe/gofakeit/v7"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rehearse/rehearse/internal/dbconn"
	"github.com/rehearse/rehearse/scenarios"
)

// ChunkRows is the number of rows generated from one seeded Faker and sent in
// one COPY. It is part of what a seed means: changing it changes the data.
const ChunkRows = 10_000

// Version names how datagen turns a seed into rows. It changes whenever the
// same scenario and seed would give different data, so that a dataset cache
// keyed on it never serves rows this version would not generate.
const Version = "2"

// Vacuum modes of scenarios.Data.Vacuum.
const (
	VacuumFreeze = "freeze"
	VacuumPlain  = "plain"
	VacuumNone   = "none"
)

// Option configures Load.
type Option func(*options)

type options struct {
	conns    int
	progress io.Writer
	tty      bool
	// keepPK leaves primary keys in place during the load, keepChecks the
	// CHECK constraints, keepAll every index and constraint: other ways,
	// for the benchmarks to compare.
	keepPK, keepChecks, keepAll bool
	// serverInterval is how often long statements are reported (tests
	// shorten it).
	serverInterval time.Duration
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

// WithProgress reports progress to w. With tty set, each table loading has
// a progress bar (rows, rows/s, time left), redrawn in place at most five
// times a second; otherwise a line is written at every 10% of a table and
// when it is done. Later phases (indexes, foreign keys, vacuum) write one
// line each. Writes come from the loading goroutines, one at a time; write
// errors are ignored.
func WithProgress(w io.Writer, tty bool) Option {
	return func(o *options) { o.progress, o.tty = w, tty }
}

// Loaded is what Load put into the database.
type Loaded struct {
	// Tables lists every table of the data spec, in load order.
	Tables []TableStats
	// LoadMS is the wall time of the whole load, in milliseconds, indexes,
	// constraints, VACUUM and ANALYZE included.
	LoadMS int64
}

// TableStats is one loaded table.
type TableStats struct {
	Name string
	Rows int64
	// Bytes is the table's size with its indexes and TOAST, after the load.
	Bytes int64
	// LoadMS is how long its rows took to generate and COPY, in milliseconds.
	LoadMS int64
}

// Load fills the tables of data over parallel connections to dsn and leaves
// them ready for a rehearsal: indexes built, constraints validated, tables
// vacuumed and analysed as data.Vacuum and data.Analyze say.
//
// Load reads the catalog first. Columns the scenario describes get their
// value specs; the others get values from their type, name and
// constraints: foreign keys draw from the parent's keys, unique columns get
// distinct values, CHECK constraints of simple forms are kept, columns with
// a constant default get the default. Every table and column is checked
// first, and a sample of each table's rows is tried against its CHECK and
// NOT NULL constraints, so that problems are reported together before any
// row is written.
//
// order is the preferred load order (Scenario.LoadOrder, or nil for names
// in order); a table always loads after the tables it references, and
// tables that do not depend on each other load at the same time. The
// indexes and constraints of the loaded tables (PRIMARY KEY, UNIQUE, CHECK,
// EXCLUDE, foreign keys on or to them) are dropped before the load and
// re-created after it, as pg_restore does; foreign keys and CHECK
// constraints come back validated.
//
// The returned Data lists the tables loaded so far even on error. Errors name
// the table; database errors keep their *pgconn.PgError in the chain.
// Cancelling ctx stops loading promptly with an error wrapping ctx.Err();
// the indexes and constraints are then not re-created (the database is
// meant to be thrown away). After another failure Load re-creates them as
// far as it can. Load keeps no state between calls; calls for different
// databases may run at the same time.
func Load(ctx context.Context, dsn string, data scenarios.Data, order []string, opts ...Option) (Loaded, error) {
	o := options{conns: min(4, 2*runtime.GOMAXPROCS(0)), serverInterval: serverProgressInterval}
	for _, opt := range opts {
		opt(&o)
	}
	start := time.Now()
	var out Loaded
	if err := ctx.Err(); err != nil {
		return out, fmt.Errorf("load data: %w", err)
	}
	if err := checkSettle(data); err != nil {
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
	if err := registerTypes(ctx, conns, plans); err != nil {
		return out, err
	}
	if err := preflightAll(ctx, conns[0], data.Seed, plans); err != nil {
		return out, err
	}
	l := newLoader(conns, data, plans, newProgress(o.progress, o.tty))
	if !o.keepAll {
		keep := ""
		if o.keepChecks {
			keep += "c"
		}
		if o.keepPK {
			keep += "p"
		}
		if l.ddl, err = captureDDL(ctx, conns[0], plans, keep); err != nil {
			return out, err
		}
		if err := l.ddl.drop(ctx, conns[0]); err != nil {
			return out, err
		}
		for _, k := range l.ddl.kept {
			l.progress.logf("kept during the load: %s", k)
		}
	}
	stopWatch := watchServer(ctx, dsn, l.progress, o.serverInterval)
	err = l.run(ctx)
	stopWatch()
	out.Tables = l.results()
	if err != nil && l.ddl != nil && ctx.Err() == nil {
		err = errors.Join(err, l.restore(dsn))
	}
	if err == nil {
		err = l.measure(ctx, out.Tables)
	}
	out.LoadMS = time.Since(start).Milliseconds()
	return out, err
}

func connect(ctx context.Context, dsn string, n int) ([]*pgx.Conn, error) {
	// The database is disposable: waiting for each COPY's WAL flush buys
	// nothing but time. Index builds after the load sort in memory rather
	// than on disk.
	cfg, err := dbconn.Config(dsn, dbconn.Datagen, dbconn.WithParams(map[string]string{
		"synchronous_commit": "off", "maintenance_work_mem": "256MB"}))
	if err != nil {
		return nil, fmt.Errorf("load data: %w", err)
	}
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

// registerTypes teaches the connections the enum array types of the loaded
// columns, which pgx must know to encode them.
func registerTypes(ctx context.Context, conns []*pgx.Conn, plans []*tablePlan) error {
	var names []string
	for _, p := range plans {
		for _, cp := range p.cols {
			if cp.col.array && cp.col.enum && !containsString(names, cp.col.typeName) {
				names = append(names, cp.col.typeName)
			}
		}
	}
	if len(names) == 0 {
		return nil
	}
	for _, c := range conns {
		types, err := c.LoadTypes(ctx, names)
		if err != nil {
			return fmt.Errorf("load data: load types %v: %w", names, err)
		}
		c.TypeMap().RegisterTypes(types)
	}
	return nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// copyChunk copies chunk i of a table, generating its rows while they are
// sent.
func copyChunk(ctx context.Context, conn *pgx.Conn, seed int64, p *tablePlan, rg *rowGen, i int64) (int64, error) {
	first := i * ChunkRows
	end := min(first+ChunkRows, p.rows)
	if len(rg.names) == 0 {
		tag, err := conn.Exec(ctx, "INSERT INTO "+p.t.ident.Sanitize()+" SELECT FROM generate_series(1, $1)", end-first)
		return tag.RowsAffected(), err
	}
	src := &chunkSource{
		ctx:   ctx,
		f:     SeededFaker(seed, p.name, i),
		slots: rg.slots,
		row:   first,
		end:   end,
		vals:  make([]any, len(rg.names)),
	}
	return conn.CopyFrom(ctx, p.t.ident, rg.names, src)
}

// chunkSource is a pgx.CopyFromSource generating rows [row, end) lazily, so a
// table never sits in memory. pgx calls it from one goroutine.
type chunkSource struct {
	ctx      context.Context
	f        *gofakeit.Faker
	slots    []slotFunc
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
	for _, fill := range s.slots {
		if err := fill(s.f, s.row, s.vals); err != nil {
			s.err = fmt.Errorf("row %d: %w", s.row+1, err)
			return false
		}
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

// tableError wraps a load failure of a table.
func tableError(ctx context.Context, table string, err error) error {
	if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		return fmt.Errorf("load table %s: %w", table, ctx.Err())
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		what := "generated values repeat"
		if m := uniqueKey.FindStringSubmatch(pgErr.Detail); m != nil {
			what = fmt.Sprintf("generated values of (%s) repeat", m[1])
		}
		return fmt.Errorf("load table %s: %s, but unique constraint %q forbids it; "+
			"give the column unique: true, gen: sequential or a generator with more distinct values: %w", table, what, pgErr.ConstraintName, err)
	}
	return fmt.Errorf("load table %s: %w", table, err)
}

// checkSettle checks data.Vacuum.
func checkSettle(data scenarios.Data) error {
	switch data.Vacuum {
	case "", VacuumFreeze, VacuumPlain, VacuumNone:
		return nil
	}
	return fmt.Errorf("vacuum %q: use freeze, plain or none", data.Vacuum)
}

// settleSQL is the VACUUM and the ANALYZE a loaded table gets; "" for none.
func settleSQL(data scenarios.Data, t *table) (vacuum, analyze string) {
	ident := t.ident.Sanitize()
	switch data.Vacuum {
	case VacuumNone:
	case VacuumPlain:
		vacuum = "VACUUM " + ident
	default:
		vacuum = "VACUUM (FREEZE) " + ident
	}
	if data.Analyze == nil || *data.Analyze {
		analyze = "ANALYZE " + ident
	}
	return vacuum, analyze
}
