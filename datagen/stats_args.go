package datagen

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/brianvoe/gofakeit/v7"
	"github.com/jackc/pgx/v5"
)

// StatsDist draws values of one column the way its pg_stats row describes
// them: each most common value at its frequency (among non-NULL values),
// the others along the histogram, interpolated between its bounds for
// numbers and dates, a bound itself for other types. Values are their text,
// which PostgreSQL reads as the parameter's type (pgx sends strings in text
// format). Immutable: Pick is safe from many goroutines, each with its own
// Faker.
type StatsDist struct {
	mcv     []string
	mcvCum  []float64 // cumulative share of the non-NULL values, ascending
	hist    []string
	histNum []float64 // hist as numbers (interpolable kinds), else nil
	kind    statsKind
}

type statsKind int

const (
	statsOther statsKind = iota
	statsInt
	statsFloat
	statsDate
	statsTimestamp   // without time zone
	statsTimestampTZ // with time zone
)

// statsArgSQL reads one column's statistics as text; array columns have
// none that a parameter could take.
const statsArgSQL = `
SELECT format_type(a.atttypid, NULL), t.typcategory = 'A', s.null_frac::float8,
       s.most_common_vals::text::text[], s.most_common_freqs::float8[], s.histogram_bounds::text::text[]
FROM pg_stats s
JOIN pg_class c ON c.oid = to_regclass($1)
JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = s.schemaname
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = s.attname
JOIN pg_type t ON t.oid = a.atttypid
WHERE s.tablename = c.relname AND s.attname = $2 AND NOT s.inherited`

// ErrNoStats means a column has no statistics to draw from (never
// analysed, empty, or an array column).
var ErrNoStats = errors.New("no statistics")

// LoadStatsDist reads table.column's pg_stats on conn (table may be
// "schema.table"). A column without statistics to draw from gives an error
// wrapping ErrNoStats.
func LoadStatsDist(ctx context.Context, conn *pgx.Conn, ref string) (*StatsDist, error) {
	table, column, err := splitRef(ref)
	if err != nil {
		return nil, err
	}
	var (
		typ     string
		array   bool
		nulls   float64
		mcv     []string
		freqs   []float64
		hist    []string
		resolve = tableIdent(table).Sanitize()
	)
	err = conn.QueryRow(ctx, statsArgSQL, resolve, column).Scan(&typ, &array, &nulls, &mcv, &freqs, &hist)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, fmt.Errorf("ref %s: %w (run ANALYZE %s)", ref, ErrNoStats, table)
	case err != nil:
		return nil, fmt.Errorf("ref %s: read pg_stats: %w", ref, err)
	case array || len(mcv)+len(hist) == 0:
		return nil, fmt.Errorf("ref %s: %w to draw from", ref, ErrNoStats)
	}
	return newStatsDist(typ, nulls, mcv, freqs, hist), nil
}

func newStatsDist(typ string, nulls float64, mcv []string, freqs []float64, hist []string) *StatsDist {
	d := &StatsDist{mcv: mcv, hist: hist, kind: statsKindOf(typ)}
	nonNull := 1 - nulls
	if len(hist) < 2 || nonNull <= 0 {
		nonNull = 0
		for _, f := range freqs {
			nonNull += f // the common values are all there is
		}
	}
	sum := 0.0
	for i := range mcv {
		if i < len(freqs) && nonNull > 0 {
			sum += freqs[i] / nonNull
		}
		d.mcvCum = append(d.mcvCum, math.Min(sum, 1))
	}
	if len(hist) >= 2 && d.kind != statsOther {
		d.histNum = make([]float64, len(hist))
		for i, s := range hist {
			x, ok := d.toNumber(s)
			if !ok {
				d.histNum = nil
				break
			}
			d.histNum[i] = x
		}
	}
	return d
}

func statsKindOf(typ string) statsKind {
	switch typ {
	case "smallint", "integer", "bigint":
		return statsInt
	case "real", "double precision", "numeric":
		return statsFloat
	case "date":
		return statsDate
	case "timestamp without time zone":
		return statsTimestamp
	case "timestamp with time zone":
		return statsTimestampTZ
	}
	return statsOther
}

// Pick draws one value, as text.
func (d *StatsDist) Pick(f *gofakeit.Faker) any {
	u := f.Float64()
	if n := len(d.mcvCum); n > 0 && (u < d.mcvCum[n-1] || len(d.hist) < 2) {
		i := sort.SearchFloat64s(d.mcvCum, u)
		return d.mcv[min(i, n-1)]
	}
	if len(d.histNum) >= 2 {
		j := int(uniformN(f, uint64(len(d.histNum)-1)))
		lo, hi := d.histNum[j], d.histNum[j+1]
		return d.format(lo + f.Float64()*(hi-lo))
	}
	return d.hist[uniformN(f, uint64(len(d.hist)))]
}

// PickArray draws n values as a PostgreSQL array literal, for = ANY($1).
func (d *StatsDist) PickArray(f *gofakeit.Faker, n int) any {
	var b strings.Builder
	b.WriteByte('{')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		v, _ := d.Pick(f).(string)
		b.WriteByte('"')
		b.WriteString(strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

func (d *StatsDist) toNumber(s string) (float64, bool) {
	switch d.kind {
	case statsInt, statsFloat:
		x, err := strconv.ParseFloat(s, 64)
		return x, err == nil && !math.IsInf(x, 0)
	case statsDate, statsTimestamp, statsTimestampTZ:
		t, ok := parsePGTime(s)
		return float64(t.UnixMicro()), ok
	}
	return 0, false
}

func (d *StatsDist) format(x float64) string {
	switch d.kind {
	case statsInt:
		return strconv.FormatInt(int64(math.Round(x)), 10)
	case statsFloat:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case statsDate:
		return time.UnixMicro(int64(x)).UTC().Format("2006-01-02")
	case statsTimestamp:
		return time.UnixMicro(int64(x)).UTC().Format("2006-01-02 15:04:05.999999")
	}
	return time.UnixMicro(int64(x)).UTC().Format("2006-01-02 15:04:05.999999Z07:00")
}
