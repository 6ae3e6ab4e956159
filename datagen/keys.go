package datagen

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/brianvoe/gofakeit/v7"
	"github.com/jackc/pgx/v5"
)

// MaxKeys is the most distinct values LoadKeys holds in memory for one column
// (about 400 MB of integers). A dense integer range has no limit.
const MaxKeys = 50_000_000

// ErrNoKeys means a referenced column has no values yet, so a ref to it
// cannot be satisfied.
var ErrNoKeys = errors.New("no values to reference: load that table first (earlier in the order) or fill it in the schema")

// Keys holds one column's distinct non-NULL values in ascending order: a
// dense integer range [lo, hi] when the column's integers have no gaps,
// otherwise the values themselves. A Keys is immutable, so Pick is safe from
// many goroutines that each pass their own Faker.
type Keys struct {
	lo, hi int64 // the dense range, used when no slice is set
	ints   []int64
	uuids  [][16]byte
	vals   []any
	empty  bool
}

// NewKeyRange returns the keys lo, lo+1, ..., hi; empty when lo > hi.
func NewKeyRange(lo, hi int64) *Keys {
	return &Keys{lo: lo, hi: hi, empty: lo > hi}
}

// NewKeys returns keys holding values, which must be in ascending order for
// distributions other than uniform to agree with loaded data; the slice is
// kept, not copied, and must not change afterwards.
func NewKeys(values []any) *Keys {
	return &Keys{vals: values, empty: len(values) == 0}
}

// Len is the number of keys.
func (k *Keys) Len() int64 {
	switch {
	case k.empty:
		return 0
	case k.ints != nil:
		return int64(len(k.ints))
	case k.uuids != nil:
		return int64(len(k.uuids))
	case k.vals != nil:
		return int64(len(k.vals))
	}
	return k.hi - k.lo + 1
}

// at returns the i-th key, i < Len().
func (k *Keys) at(i uint64) any {
	switch {
	case k.ints != nil:
		return k.ints[i]
	case k.uuids != nil:
		return k.uuids[i]
	case k.vals != nil:
		return k.vals[i]
	}
	return k.lo + int64(i)
}

// Pick returns a key drawn uniformly with f: an int64 for integer columns,
// [16]byte for uuid, otherwise the value as pgx decodes the column's type
// (string for text, time.Time for dates). It returns nil when there are no
// keys.
func (k *Keys) Pick(f *gofakeit.Faker) any {
	if k.empty {
		return nil
	}
	return k.at(uniformN(f, uint64(k.Len())))
}

// picker draws keys with distribution d. Positions are ranks for zipf,
// hot and normal (rank 0 the most frequent), mapped to keys through a
// scatter that depends on the number of keys only, so that the hot keys of
// loaded data are the hot keys of traffic drawing from the same column.
// Sequential takes the keys in ascending order; unique (g.unique) gives
// each row its own key.
func (k *Keys) picker(d distSpec, g genContext) (RowFunc, error) {
	n := uint64(k.Len())
	if n == 0 {
		return func(*gofakeit.Faker, int64) any { return nil }, nil
	}
	if g.unique {
		pos, err := positions(d, g, n, 0, 0)
		if err != nil {
			return nil, err
		}
		return func(f *gofakeit.Faker, row int64) any { return k.at(pos(f, row)) }, nil
	}
	switch d.name {
	case DistUniform:
		return func(f *gofakeit.Faker, _ int64) any { return k.at(uniformN(f, n)) }, nil
	case DistSequential:
		return func(_ *gofakeit.Faker, row int64) any { return k.at(uint64(row) % n) }, nil
	case DistRecent:
		return nil, errors.New("dist recent applies to dates only")
	}
	mean, stddev := d.normalPositions(float64(n))
	rank := d.ranker(n, mean, stddev)
	s := newScatter(n, 0)
	return func(f *gofakeit.Faker, row int64) any { return k.at(s.at(rank(f, row))) }, nil
}

// LoadKeys reads the distinct non-NULL values of table.column (table may be
// "schema.table"). An integer column without gaps costs one aggregate query
// and no memory; any other column is read in full, in ascending order so that
// Pick is reproducible, and refused beyond MaxKeys values. A column without
// values gives an error wrapping ErrNoKeys.
func LoadKeys(ctx context.Context, conn *pgx.Conn, table, column string) (*Keys, error) {
	ref := table + "." + column
	t, err := readTable(ctx, conn, table)
	if err != nil {
		return nil, fmt.Errorf("keys of %s: %w", ref, err)
	}
	col, ok := t.byName[column]
	if !ok {
		return nil, fmt.Errorf("keys of %s: column %q does not exist", ref, column)
	}
	return loadKeys(ctx, conn, t, col, false)
}

// loadKeys is LoadKeys for a column already read from the catalog; unique
// says the column's values are known to be distinct (its unique index may
// be dropped during a load), which saves sorting them to count them.
func loadKeys(ctx context.Context, conn *pgx.Conn, t *table, col *column, unique bool) (*Keys, error) {
	ref := identName(t.ident) + "." + col.name
	var keys *Keys
	var err error
	switch col.category() {
	case catInt:
		keys, err = loadIntKeys(ctx, conn, t, col.name, unique)
	case catUUID:
		keys, err = loadUUIDKeys(ctx, conn, t, col.name)
	default:
		keys, err = loadAnyKeys(ctx, conn, t, col.name)
	}
	if err != nil {
		return nil, fmt.Errorf("keys of %s: %w", ref, err)
	}
	if keys.Len() == 0 {
		return nil, fmt.Errorf("keys of %s: %w", ref, ErrNoKeys)
	}
	return keys, nil
}

const uniqueSQL = `
SELECT EXISTS (
  SELECT 1 FROM pg_index i
  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
  WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indnkeyatts = 1
    AND i.indpred IS NULL AND i.indexprs IS NULL AND a.attname = $2)`

func loadIntKeys(ctx context.Context, conn *pgx.Conn, t *table, column string, unique bool) (*Keys, error) {
	if !unique {
		if err := conn.QueryRow(ctx, uniqueSQL, t.ident.Sanitize(), column).Scan(&unique); err != nil {
			return nil, fmt.Errorf("look for a unique index: %w", err)
		}
	}
	col := pgx.Identifier{column}.Sanitize()
	count := "count(DISTINCT " + col + ")"
	if unique {
		count = "count(" + col + ")" // a unique index saves sorting the column
	}
	var n int64
	var lo, hi *int64
	q := fmt.Sprintf("SELECT %s, min(%s), max(%s) FROM %s", count, col, col, t.ident.Sanitize())
	if err := conn.QueryRow(ctx, q).Scan(&n, &lo, &hi); err != nil {
		return nil, fmt.Errorf("count keys: %w", err)
	}
	switch {
	case n == 0:
		return NewKeyRange(1, 0), nil
	case uint64(*hi)-uint64(*lo) == uint64(n-1):
		return NewKeyRange(*lo, *hi), nil
	case n > MaxKeys:
		return nil, fmt.Errorf("%d distinct values with gaps, more than the %d datagen holds in memory", n, MaxKeys)
	}
	ints := make([]int64, 0, n)
	err := scanKeys(ctx, conn, t, column, func(rows pgx.Rows) error {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return err
		}
		ints = append(ints, v)
		return nil
	})
	return &Keys{ints: ints, empty: len(ints) == 0}, err
}

// loadUUIDKeys holds uuids in 16 bytes each rather than as interfaces.
func loadUUIDKeys(ctx context.Context, conn *pgx.Conn, t *table, column string) (*Keys, error) {
	var uuids [][16]byte
	err := scanKeys(ctx, conn, t, column, func(rows pgx.Rows) error {
		if len(uuids) == MaxKeys {
			return fmt.Errorf("more than %d distinct values, the most datagen holds in memory", MaxKeys)
		}
		var u [16]byte
		if err := rows.Scan(&u); err != nil {
			return err
		}
		uuids = append(uuids, u)
		return nil
	})
	return &Keys{uuids: uuids, empty: len(uuids) == 0}, err
}

func loadAnyKeys(ctx context.Context, conn *pgx.Conn, t *table, column string) (*Keys, error) {
	var vals []any
	err := scanKeys(ctx, conn, t, column, func(rows pgx.Rows) error {
		if len(vals) == MaxKeys {
			return fmt.Errorf("more than %d distinct values, the most datagen holds in memory", MaxKeys)
		}
		v, err := rows.Values()
		if err != nil {
			return err
		}
		vals = append(vals, v[0])
		return nil
	})
	return NewKeys(vals), err
}

// scanKeys runs each over the distinct non-NULL values in ascending order.
func scanKeys(ctx context.Context, conn *pgx.Conn, t *table, column string, each func(pgx.Rows) error) error {
	col := pgx.Identifier{column}.Sanitize()
	q := fmt.Sprintf("SELECT DISTINCT %s FROM %s WHERE %s IS NOT NULL ORDER BY 1", col, t.ident.Sanitize(), col)
	rows, err := conn.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("read keys: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return fmt.Errorf("read keys: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read keys: %w", err)
	}
	return nil
}

// CachedKeys returns a KeySource that reads each ref once with LoadKeys on
// conn, using ctx, and then serves it from memory. It is safe for concurrent
// use; reads are serialised because they share conn, which nothing else may
// use meanwhile. Failures are not cached: the next call tries again.
func CachedKeys(ctx context.Context, conn *pgx.Conn) KeySource {
	var mu sync.Mutex
	cache := map[string]*Keys{}
	return func(ref string) (*Keys, error) {
		mu.Lock()
		defer mu.Unlock()
		if k, ok := cache[ref]; ok {
			return k, nil
		}
		tableName, column, err := splitRef(ref)
		if err != nil {
			return nil, err
		}
		k, err := LoadKeys(ctx, conn, tableName, column)
		if err != nil {
			return nil, err
		}
		cache[ref] = k
		return k, nil
	}
}
