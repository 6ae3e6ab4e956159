package datagen

import (
	"encoding/binary"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/brianvoe/gofakeit/v7"

	"github.com/rehearse/rehearse/scenarios"
)

// A profile (scenarios.Data.ProfileData, from `rehearse profile`) shapes
// the columns a scenario does not describe, in the tables it lists:
//
//   - null_frac is the share of NULLs (NOT NULL columns get none);
//   - n_distinct is how many distinct values the column gets: a count
//     (capped at the rows) when positive, a share of the rows when
//     negative, as PostgreSQL means it;
//   - avg_width is the average length of text values;
//   - correlation is how closely values follow the row order: rows are
//     ranked by a permutation with about that correlation to their order
//     (see ranks), and take values in rank order, for numbers, dates,
//     enums and booleans (generated text and uuids have no order to
//     follow); a table with a strongly correlated column loads in order
//     (profileOrdered);
//   - with values, the most common values are drawn with their
//     frequencies, and the other numbers and dates follow the histogram
//     (between its bounds, with its quantiles).
//
// Values stay within what the column's type and CHECK constraints allow:
// a column datagen draws from a short list (an enum, a CHECK (x IN ...),
// booleans, a small integer range) has at most that many distinct values.
// Unique columns (constraints, unique: true), keys drawn from sequences and
// generated columns keep their own values; a foreign key gets the profile's
// share of NULLs and draws from as many parent keys as n_distinct says.

// textTableMax is the most distinct text values computed ahead, which lets
// them repeat exactly without a unique suffix when they happen to collide.
const textTableMax = 10_000

// shape is what a profile says about one column's values, for the rows of
// one load. Immutable once made: its functions run on many goroutines.
type shape struct {
	nullFrac float64
	// distinct is the number of distinct values besides the most common
	// ones (at least 1).
	distinct uint64
	corr     float64
	// mcv are the most common values, converted to what the column's
	// generator yields.
	mcv []any
	// perm places each row at a position of a permutation of the rows:
	// the first nullRows positions are NULL, the next ones the most common
	// values (up to mcvEnds[i] the i-th), the rest other values. So the
	// shares of NULLs and of each common value are exact.
	perm     scatter
	nullRows uint64
	mcvEnds  []uint64
	// width is the average text length to aim at, in bytes; 0 keeps the
	// generator's.
	width int
	// hist are the histogram bounds of a number or date column as numbers
	// (dates in microseconds since 1970), ascending.
	hist  []float64
	scale int // decimal places of a numeric histogram
}

// profileColumn returns the profile's statistics of a column of p, or nil.
func (pl *planner) profileColumn(p *tablePlan, col *column) *scenarios.ProfileColumn {
	return pl.data.ProfileData.Table(identName(p.t.ident)).Column(col.name)
}

// planProfiled plans an undescribed column that the profile describes: the
// generator datagen would use, reshaped by the statistics.
func (pl *planner) planProfiled(p *tablePlan, f tableFacts, col *column, g genContext, pc *scenarios.ProfileColumn) (*colPlan, error) {
	r := f.rules[col.name]
	a, ok, err := autoColumn(p.name, col, r, g)
	if err != nil || !ok {
		return pl.planAuto(p, f, col, g)
	}
	if r == nil {
		r = &rule{}
	}
	s := newShape(pc, col, p.rows, g.key, true)
	value, n := s.values(p.name, col, a, g, r)
	return &colPlan{col: col, kind: colAuto, g: g, auto: a, fn: s.rowFunc(a.fn, value, n)}, nil
}

// shapeFK gives a one-column foreign key the profile's NULLs and number of
// distinct parents.
func (pl *planner) shapeFK(p *tablePlan, col *column, cp *colPlan) *colPlan {
	if cp == nil || cp.kind != colFK || cp.g.unique {
		return cp
	}
	if pc := pl.profileColumn(p, col); pc != nil {
		cp.shape = newShape(pc, col, p.rows, cp.g.key, false)
	}
	return cp
}

// newShape reads a column's statistics for rows rows (key varies the
// placement of NULLs and values by column); withValues false
// ignores the most common values and the histogram (a foreign key must
// draw parents that exist).
func newShape(pc *scenarios.ProfileColumn, col *column, rows int64, key uint64, withValues bool) *shape {
	s := &shape{width: textWidth(pc.AvgWidth)}
	if !col.notNull {
		s.nullFrac = pc.NullFrac
	}
	if pc.Correlation != nil {
		s.corr = *pc.Correlation
	}
	d := pc.NDistinct
	if d < 0 {
		d = -d * float64(rows)
	}
	s.perm = newScatter(uint64(max(rows, 1)), mix(key^0x5bd1e995))
	s.nullRows = uint64(math.Round(float64(rows) * s.nullFrac))
	others := float64(rows) - float64(s.nullRows)
	d = math.Round(math.Min(d, others))
	if withValues {
		if mcv := mcvValues(col, pc.MostCommonVals); mcv != nil {
			end := s.nullRows
			for _, f := range pc.MostCommonFreqs {
				end = min(end+uint64(math.Round(f*float64(rows))), uint64(rows))
				s.mcvEnds = append(s.mcvEnds, end)
			}
			s.mcv = mcv
			d -= float64(len(mcv))
			others = float64(rows) - float64(end)
		}
		s.hist, s.scale = histogram(col, pc.HistogramBounds)
	}
	s.distinct = uint64(math.Max(math.Min(d, others), 1))
	return s
}

// textWidth is the text length behind pg_stats' avg_width, which counts a
// varlena header: 1 byte up to 126 bytes of text, 4 beyond.
func textWidth(avg int) int {
	switch {
	case avg <= 1:
		return 0
	case avg <= 127:
		return avg - 1
	}
	return avg - 4
}

// rowFunc draws one row's value: NULL, a most common value, or the k-th
// of the n others (value(k)), by the row's rank; own is the generator to
// fall back on when value is nil.
func (s *shape) rowFunc(own RowFunc, value func(k uint64) any, n uint64) RowFunc {
	firstOther := s.nullRows
	if len(s.mcvEnds) > 0 {
		firstOther = s.mcvEnds[len(s.mcvEnds)-1]
	}
	rank := newRanks(s.perm.n, s.corr, s.perm.key)
	return func(f *gofakeit.Faker, row int64) any {
		pos := s.perm.at(uint64(row) % s.perm.n)
		switch {
		case pos < s.nullRows:
			return nil
		case pos < firstOther:
			i, _ := slices.BinarySearch(s.mcvEnds, pos+1)
			return s.mcv[i]
		case value == nil:
			return own(f, row)
		}
		hi, lo := bits.Mul64(rank.at(uint64(row)%s.perm.n), n)
		k, _ := bits.Div64(hi, lo, s.perm.n)
		return value(k)
	}
}

// ranks is a permutation of n rows whose correlation with the row order is
// about corr: the rows are cut into blocks of n·sqrt(1-|corr|) rows, kept
// in order, and shuffled within each block (which gives a correlation of
// 1 - (block/n)²); reversed for a negative corr. Being a permutation, it
// gives every value its share of rows, whatever the correlation.
type ranks struct {
	n, block, key uint64
	desc          bool
}

func newRanks(n uint64, corr float64, key uint64) ranks {
	block := uint64(math.Round(float64(n) * math.Sqrt(1-math.Min(math.Abs(corr), 1))))
	return ranks{n: n, block: min(max(block, 1), n), key: key, desc: corr < 0}
}

func (r ranks) at(row uint64) uint64 {
	start := row / r.block * r.block
	size := min(r.block, r.n-start)
	v := start + newScatter(size, r.key^mix(start)).at(row-start)
	if r.desc {
		v = r.n - 1 - v
	}
	return v
}

// values returns the k-th of the column's distinct values (ascending for
// numbers and dates) and how many there are, or nil to keep the
// generator's own values.
func (s *shape) values(tableName string, col *column, a *autoGen, g genContext, r *rule) (func(k uint64) any, uint64) {
	n := s.distinct
	if col.array {
		return nil, 0
	}
	cat := col.category()
	numeric := cat == catInt || cat == catNumeric || cat == catFloat || cat == catTime
	hardList := r.values != nil || col.enum
	switch {
	case len(s.hist) >= 2 && numeric && !hardList:
		return s.histValues(col), n
	case a.dom != nil && (hardList || cat != catText || n <= a.dom.n):
		return spread(a.dom, n)
	case cat == catTime:
		return timeValues(col, r, n)
	case cat == catText:
		return s.textValues(tableName, col, g, r, n)
	case cat == catUUID:
		return func(k uint64) any { return slotUUID(k, g.key) }, n
	}
	return nil, 0
}

// spread takes n positions of dom evenly apart, in order; all of them
// when dom has no more than n.
func spread(dom *domain, n uint64) (func(uint64) any, uint64) {
	if n >= dom.n {
		return dom.at, dom.n
	}
	return func(k uint64) any {
		hi, lo := bits.Mul64(k, dom.n)
		pos, _ := bits.Div64(hi, lo, n)
		return dom.at(pos)
	}, n
}

// timeValues spreads n dates or timestamps over the span datagen would
// use for the column.
func timeValues(col *column, r *rule, n uint64) (func(uint64) any, uint64) {
	from, to, err := autoTimeRange(col, r)
	if err != nil {
		return nil, 0
	}
	unit := int64(1)
	if col.base == "date" {
		unit = microsPerDay
	}
	lo, hi := ceilDiv(from.UnixMicro(), unit), floorDiv(to.UnixMicro(), unit)
	if lo > hi {
		return nil, 0
	}
	dom := &domain{n: uint64(hi-lo) + 1, at: func(pos uint64) any { return time.UnixMicro((lo + int64(pos)) * unit).UTC() }}
	return spread(dom, n)
}

// histValues places the k-th of n values at the quantile (k+0.5)/n of the
// histogram, interpolating within its equal-frequency buckets.
func (s *shape) histValues(col *column) func(uint64) any {
	h, n := s.hist, s.distinct
	buckets := float64(len(h) - 1)
	conv := fromNumber(col, s.scale)
	return func(k uint64) any {
		x := (float64(k) + 0.5) / float64(n) * buckets
		j := min(int(x), len(h)-2)
		return conv(h[j] + (x-float64(j))*(h[j+1]-h[j]))
	}
}

// fromNumber converts a histogram position back to the column's type.
func fromNumber(col *column, scale int) func(float64) any {
	switch col.category() {
	case catInt:
		lo, hi := intRange(col.base)
		return func(x float64) any { return int64(math.Max(lo, math.Min(hi, math.Round(x)))) }
	case catNumeric:
		unit := math.Pow10(scale)
		return func(x float64) any {
			u := math.Max(-9e18, math.Min(9e18, math.Round(x*unit)))
			return decimal{unscaled: int64(u), scale: uint16(scale)}
		}
	case catTime:
		if col.base == "date" {
			return func(x float64) any {
				return time.UnixMicro(int64(math.Floor(x/microsPerDay)) * microsPerDay).UTC()
			}
		}
		return func(x float64) any { return time.UnixMicro(int64(math.Round(x))).UTC() }
	}
	return func(x float64) any { return x }
}

// textValues makes n distinct texts of the kind datagen gives the column
// (by its name), of the profile's average length. Up to textTableMax they
// are made ahead and get a unique suffix only when two collide; beyond,
// each carries its number as a suffix ("ann.lee+3f@example.com").
func (s *shape) textValues(tableName string, col *column, g genContext, r *rule, n uint64) (func(uint64) any, uint64) {
	maxLen := col.maxLength()
	if r.maxLen > 0 && (maxLen == 0 || r.maxLen < maxLen) {
		maxLen = r.maxLen
	}
	width := s.width
	if col.base == "bpchar" {
		width = 0 // blank-padded to its length anyway
	}
	if maxLen > 0 && maxLen < 12 {
		n = min(n, uint64(math.Pow(36, float64(maxLen-1)))) // what a suffix can tell apart
	}
	base := textGen(tableName, col.name)
	text := func(k uint64, suffixed bool) string {
		f := SeededFaker(int64(g.key), "profile", int64(k))
		suffix := strconv.FormatUint(k, 36)
		v := toString(base(f, int64(k)))
		if width > 0 {
			target := max(width/2+int(uniformN(f, uint64(width)+1)), r.minLen, 1)
			if suffixed {
				target = max(target-len(suffix)-1, 1)
			}
			v = fitLength(f, v, target)
		}
		for len(v) < r.minLen {
			v += " " + f.Word()
		}
		if suffixed {
			return withSuffix(v, suffix, maxLen)
		}
		return truncate(v, maxLen)
	}
	if n > textTableMax {
		return func(k uint64) any { return text(k, true) }, n
	}
	vals := make([]string, n)
	seen := make(map[string]bool, n)
	for k := range vals {
		v := text(uint64(k), false)
		if seen[v] {
			v = text(uint64(k), true)
		}
		seen[v] = true
		vals[k] = v
	}
	return func(k uint64) any { return vals[k] }, n
}

// fitLength pads v with words, or cuts it, to target characters.
func fitLength(f *gofakeit.Faker, v string, target int) string {
	for len(v) < target {
		v += " " + f.Word()
	}
	return strings.TrimRight(truncate(v, target), " ")
}

// slotUUID is a version 4 UUID made from k alone: distinct values of k give
// distinct UUIDs (their first 64 bits are a bijection of k, less the 4
// version bits), and the same k the same UUID.
func slotUUID(k, key uint64) [16]byte {
	x := mix(k ^ key)
	var u [16]byte
	binary.BigEndian.PutUint64(u[0:8], x)
	binary.BigEndian.PutUint64(u[8:16], mix(x+0x9e3779b97f4a7c15))
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}

// mcvValues converts most common values from their text to what the
// column's generator yields; nil when one does not convert or the type
// has no conversion (the values are then not used).
func mcvValues(col *column, texts []string) []any {
	if len(texts) == 0 || col.array {
		return nil
	}
	out := make([]any, len(texts))
	for i, s := range texts {
		v, ok := fromText(col, s)
		if !ok {
			return nil
		}
		out[i] = v
	}
	return out
}

func fromText(col *column, s string) (any, bool) {
	switch col.category() {
	case catInt:
		v, err := strconv.ParseInt(s, 10, 64)
		return v, err == nil
	case catNumeric:
		return parseDecimal(s)
	case catFloat:
		v, err := strconv.ParseFloat(s, 64)
		return v, err == nil
	case catTime:
		return parsePGTime(s)
	case catBool:
		v, err := strconv.ParseBool(s)
		return v, err == nil
	case catText:
		return truncate(s, col.maxLength()), true
	case catEnum:
		return s, slices.Contains(col.labels, s)
	}
	return nil, false
}

// parseDecimal reads a numeric's text exactly, when it fits a decimal.
func parseDecimal(s string) (decimal, bool) {
	intPart, frac, _ := strings.Cut(s, ".")
	if len(frac) > maxDecimalScale {
		return decimal{}, false
	}
	u, err := strconv.ParseInt(intPart+frac, 10, 64)
	if err != nil {
		return decimal{}, false
	}
	return decimal{unscaled: u, scale: uint16(len(frac))}, true
}

// pgTimeLayouts are how PostgreSQL writes dates and timestamps with
// DateStyle ISO (ProfileRuntimeParams).
var pgTimeLayouts = []string{
	"2006-01-02 15:04:05.999999-07", "2006-01-02 15:04:05.999999-07:00", "2006-01-02 15:04:05.999999-07:00:00",
	"2006-01-02 15:04:05.999999", "2006-01-02",
}

func parsePGTime(s string) (time.Time, bool) {
	for _, layout := range pgTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// histogram converts the bounds of a number or date column to numbers,
// with the decimal places a numeric needs; nil for other types or bounds
// that do not convert.
func histogram(col *column, texts []string) ([]float64, int) {
	if len(texts) < 2 || col.array {
		return nil, 0
	}
	out := make([]float64, len(texts))
	scale := 0
	for i, s := range texts {
		switch col.category() {
		case catInt, catFloat, catNumeric:
			x, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsInf(x, 0) {
				return nil, 0
			}
			out[i] = x
			if _, frac, ok := strings.Cut(s, "."); ok {
				scale = max(scale, len(frac))
			}
		case catTime:
			t, ok := parsePGTime(s)
			if !ok {
				return nil, 0
			}
			out[i] = float64(t.UnixMicro())
		default:
			return nil, 0
		}
	}
	if _, s, ok := col.numericPrecision(); ok {
		scale = s
	}
	return out, min(max(scale, 0), maxDecimalScale)
}

// fkDist draws a foreign key's parents uniformly, from the first of n keys
// (in scattered order) only when the profile says the column has fewer
// distinct values.
func fkDist(s *shape, n int64) distSpec {
	if s == nil || n <= 0 || s.distinct >= uint64(n) {
		return distSpec{name: DistUniform}
	}
	return distSpec{name: DistHot, hotKeys: float64(s.distinct) / float64(n), hotShare: 1}
}

// orderedLoadCorrelation is the correlation from which a profiled column
// makes its table load in row order.
const orderedLoadCorrelation = 0.5

// profileOrdered reports whether a table's profile has a column whose
// values follow the physical row order (an id or created_at in an
// append-mostly table). Chunks of such a table are then copied one after
// the other: chunks copied at the same time interleave their pages, which
// would leave the generated table in no particular order.
func (pl *planner) profileOrdered(p *tablePlan) bool {
	t := pl.data.ProfileData.Table(identName(p.t.ident))
	if t == nil {
		return false
	}
	for _, c := range t.Columns {
		if c.Correlation != nil && math.Abs(*c.Correlation) >= orderedLoadCorrelation {
			return true
		}
	}
	return false
}
