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

// Keys holds one column's distinct non-NULL values: a dense integer range
// [lo, hi] when the column's integers have no gaps, otherwise the values in
// ascending order. A Keys is immutable, so Pick is safe from many goroutines
// that each pass their own Faker.
type Keys struct {
	lo, hi int64 // the dense range, used when ints and vals are both nil
	ints   []int64
	vals   []any
	empty  bool
}

// NewKeyRange returns the keys lo, lo+1, ..., hi; empty when lo > hi.
func NewKeyRange(lo, hi int64) *Keys {
	return &Keys{lo: lo, hi: hi, empty: lo > hi}
}

// NewKeys returns keys holding values; the slice is kept, not copied, and
// must not change afterwards.
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
	case k.vals != nil:
		return int64(len(k.vals))
	}
	return k.hi - k.lo + 1
}

// Pick returns a key drawn uniformly with f: an int64 for integer columns,
// otherwise the value as pgx decodes the column's type ([16]byte for uuid,
// string for text, time.Time for dates). It returns nil when there are no keys.
func (k *Keys) Pick(f *gofakeit.Faker) any {
	switch {
	case k.empty:
		return nil
	case k.ints != nil:
		return k.ints[uniformN(f, uint64(len(k.ints)))]
	case k.vals != nil:
		return k.vals[uniformN(f, uint64(len(k.vals)))]
	}
	return uniformInt(f, k.lo, k.hi)
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
	var keys *Keys
	if col.category() == catInt {
		keys, err = loadIntKeys(ctx, conn, t, column)
	} else {
		keys, err = loadAnyKeys(ctx, conn, t, column)
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

func loadIntKeys(ctx context.Context, conn *pgx.Conn, t *table, column string) (*Keys, error) {
	var unique bool
	if err := conn.QueryRow(ctx, uniqueSQL, t.ident.Sanitize(), column).Scan(&unique); err != nil {
		return nil, fmt.Errorf("look for a unique index: %w", err)
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
