package datagen

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/brianvoe/gofakeit/v7"

	"github.com/rehearse/rehearse/scenarios"
)

// ValueFunc returns one generated value: a string, int64, float64, bool,
// time.Time (UTC), nil for NULL, or a key value as LoadKeys read it. It draws
// its randomness from f only. A ValueFunc may be called from many goroutines
// at once provided each passes its own Faker.
type ValueFunc func(f *gofakeit.Faker) any

// RowFunc is a ValueFunc that also knows the 0-based index of the row being
// generated, so that `sequential` yields row+1. Same concurrency rules as
// ValueFunc.
type RowFunc func(f *gofakeit.Faker, row int64) any

// KeySource returns the keys of a "table.column" reference; its errors name
// the ref. Load and the traffic generator use one backed by LoadKeys (see
// CachedKeys).
type KeySource func(ref string) (*Keys, error)

// Defaults of the number and price generators' min and max.
const (
	DefaultNumberMin = 1
	DefaultNumberMax = 1_000_000
	DefaultPriceMin  = 1
	DefaultPriceMax  = 1000
)

// DefaultDateFrom and DefaultDateTo bound the date generator by default: the
// five years up to 2026-01-01, fixed rather than relative to today so that a
// seed gives the same data next year.
const (
	DefaultDateFrom = "2021-01-01"
	DefaultDateTo   = "2026-01-01"
)

// kind is the Go shape of a spec's values, known before any value exists so
// that a column's type can be checked before loading.
type kind int

const (
	kindString  kind = iota + 1
	kindInt          // int64
	kindFloat        // float64
	kindTime         // time.Time
	kindBool         // bool
	kindUUID         // canonical string from a generator, [16]byte from keys
	kindIP           // an IP address as a string
	kindNumeric      // pgtype.Numeric, from keys of numeric columns
	kindOther        // anything else read as keys
)

var kindNames = map[kind]string{
	kindString: "text", kindInt: "integers", kindFloat: "decimals", kindTime: "timestamps",
	kindBool: "booleans", kindUUID: "uuids", kindIP: "IP addresses", kindNumeric: "numerics",
	kindOther: "values",
}

func (k kind) String() string { return kindNames[k] }

// output describes what a compiled spec yields.
type output struct {
	kind kind
	// lo and hi bound integer and decimal values when bounded is set.
	lo, hi  float64
	bounded bool
	// cents marks decimals that have at most two decimal places (price).
	cents bool
	// perRow marks values that depend on the row index (sequential).
	perRow bool
	// source names the spec in messages: "generator number", "ref users.id".
	source string
}

// genContext is what a generator knows about where its values go.
type genContext struct {
	// rows is the row count of the table being loaded; 0 for traffic.
	rows int64
	// unique asks for values distinct across the table's rows.
	unique bool
	// key varies unique values with the seed, table and column.
	key uint64
	// days asks for whole days (a date column), where distinct timestamps
	// would not be distinct dates.
	days bool
	// maxLen is the column's length limit, which a unique suffix must fit.
	maxLen int
	// above is, for a unique integer column of a table that already has
	// rows (inserted by the schema's own SQL), the largest value there:
	// generated values start after it.
	above *int64
}

// builder makes a generator's RowFunc from the spec's options.
type builder func(spec *scenarios.ValueSpec, g genContext) (RowFunc, output, error)

// generators is the registry of generator names. Adding one is adding an
// entry; GeneratorNames and validation follow.
var generators = map[string]builder{
	"name":            fake(fastName),
	"firstname":       fake(picker(firstNames)),
	"lastname":        fake(picker(lastNames)),
	"email":           fake(fastEmail),
	"username":        fake((*gofakeit.Faker).Username),
	"phone":           fake((*gofakeit.Faker).Phone),
	"gender":          fake((*gofakeit.Faker).Gender),
	"jobtitle":        fake((*gofakeit.Faker).JobTitle),
	"company":         fake((*gofakeit.Faker).Company),
	"street":          fake((*gofakeit.Faker).Street),
	"city":            fake(picker(cityNames)),
	"state":           fake(picker(stateNames)),
	"zip":             fake((*gofakeit.Faker).Zip),
	"country":         fake(picker(countryNames)),
	"countryabr":      fake(picker(countryCodes)),
	"url":             fake((*gofakeit.Faker).URL),
	"domainname":      fake((*gofakeit.Faker).DomainName),
	"useragent":       fake((*gofakeit.Faker).UserAgent),
	"color":           fake((*gofakeit.Faker).Color),
	"hexcolor":        fake((*gofakeit.Faker).HexColor),
	"currencyshort":   fake((*gofakeit.Faker).CurrencyShort),
	"productname":     fake((*gofakeit.Faker).ProductName),
	"productcategory": fake((*gofakeit.Faker).ProductCategory),
	"word":            fake((*gofakeit.Faker).Word),
	"sentence":        fake(func(f *gofakeit.Faker) string { return f.Sentence() }),
	"paragraph":       fake(func(f *gofakeit.Faker) string { return f.Paragraph() }),
	"uuid":            uuidGen,
	"ipv4address":     fakeKind(kindIP, (*gofakeit.Faker).IPv4Address),
	"ipv6address":     fakeKind(kindIP, (*gofakeit.Faker).IPv6Address),
	"number":          number,
	"price":           price,
	"date":            date,
	"bool":            boolean,
	"sequential":      sequential,
}

// GeneratorNames returns the names accepted in a ValueSpec's Gen, sorted.
func GeneratorNames() []string {
	names := make([]string, 0, len(generators))
	for name := range generators {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Compile turns spec into a ValueFunc, for traffic arguments. keys resolves
// spec.Ref and may be nil when no spec has one. Distributions work as in
// loaded data: a ref with `dist: hot` draws the same hot keys that `dist:
// hot` made hot in a loaded column referencing the same keys. `sequential`
// (the generator, or dist: sequential) counts 1, 2, 3, ... per returned
// ValueFunc (an atomic counter, so the order across goroutines is whatever
// the callers' order is).
func Compile(spec *scenarios.ValueSpec, keys KeySource) (ValueFunc, error) {
	fn, out, err := compile(spec, keys, genContext{})
	if err != nil {
		return nil, err
	}
	if !out.perRow {
		return func(f *gofakeit.Faker) any { return fn(f, 0) }, nil
	}
	var calls atomic.Int64
	return func(f *gofakeit.Faker) any { return fn(f, calls.Add(1)-1) }, nil
}

// CompileRow turns spec into a RowFunc: like Compile, except that
// `sequential` yields row+1 for the row index it is given, which is what
// makes loaded data independent of the order rows are generated in.
func CompileRow(spec *scenarios.ValueSpec, keys KeySource) (RowFunc, error) {
	fn, _, err := compile(spec, keys, genContext{})
	return fn, err
}

func compile(spec *scenarios.ValueSpec, keys KeySource, g genContext) (RowFunc, output, error) {
	if spec == nil {
		return nil, output{}, errors.New("no value spec: give gen, ref or value")
	}
	if spec.Ref == "" {
		return compileLocal(spec, g)
	}
	if err := checkShape(spec); err != nil {
		return nil, output{}, err
	}
	if keys == nil {
		return nil, output{}, fmt.Errorf("ref %s: no key source to read it from", spec.Ref)
	}
	k, err := keys(spec.Ref)
	if err != nil {
		return nil, output{}, err // a KeySource's errors name the ref
	}
	if k == nil {
		return nil, output{}, fmt.Errorf("ref %s: no keys", spec.Ref)
	}
	d, err := distOf(spec)
	if err != nil {
		return nil, output{}, fmt.Errorf("ref %s: %w", spec.Ref, err)
	}
	pick, err := k.picker(d, g)
	if err != nil {
		return nil, output{}, fmt.Errorf("ref %s: %w", spec.Ref, err)
	}
	out := output{kind: kindOther, source: "ref " + spec.Ref, perRow: d.name == DistSequential}
	return withNulls(pick, spec.NullRatio), out, nil
}

// compileLocal compiles a spec that needs no keys: a generator or a constant.
func compileLocal(spec *scenarios.ValueSpec, g genContext) (RowFunc, output, error) {
	if err := checkShape(spec); err != nil {
		return nil, output{}, err
	}
	var (
		fn  RowFunc
		out output
		err error
	)
	if spec.Gen != "" {
		fn, out, err = compileGen(spec, g)
	} else {
		fn, out, err = compileConst(spec, g)
	}
	if err != nil {
		return nil, output{}, err
	}
	return withNulls(fn, spec.NullRatio), out, nil
}

// checkShape rejects specs that are not exactly one of gen, ref and value.
func checkShape(spec *scenarios.ValueSpec) error {
	set := 0
	for _, ok := range []bool{spec.Gen != "", spec.Ref != "", spec.Value != nil} {
		if ok {
			set++
		}
	}
	switch {
	case set == 0:
		return errors.New("give one of gen, ref or value")
	case set > 1:
		return errors.New("give only one of gen, ref or value")
	case spec.NullRatio < 0 || spec.NullRatio > 1 || math.IsNaN(spec.NullRatio):
		return fmt.Errorf("null_ratio %v is outside 0..1", spec.NullRatio)
	}
	return nil
}

func compileGen(spec *scenarios.ValueSpec, g genContext) (RowFunc, output, error) {
	name := strings.ToLower(spec.Gen)
	build, ok := generators[name]
	if !ok {
		return nil, output{}, fmt.Errorf("unknown generator %q (known: %s)", spec.Gen, strings.Join(GeneratorNames(), ", "))
	}
	fn, out, err := build(spec, g)
	if err != nil {
		return nil, output{}, fmt.Errorf("generator %s: %w", name, err)
	}
	out.source = fmt.Sprintf("generator %s", name)
	return fn, out, nil
}

// withNulls makes a share ratio of the values NULL; a NULL row skips the
// generator, which saves generating values only to throw them away.
func withNulls(fn RowFunc, ratio float64) RowFunc {
	if ratio <= 0 {
		return fn
	}
	return func(f *gofakeit.Faker, row int64) any {
		if f.Float64() < ratio {
			return nil
		}
		return fn(f, row)
	}
}

// noDist rejects a distribution on generators whose values have no order.
func noDist(spec *scenarios.ValueSpec) error {
	if spec.Dist != "" && spec.Dist != DistUniform || spec.Hot != nil || spec.Exponent != nil || spec.Mean != nil || spec.StdDev != nil {
		return errors.New("dist and its parameters apply to number, price, date and ref only")
	}
	return nil
}

func fake(gen func(*gofakeit.Faker) string) builder { return fakeKind(kindString, gen) }

func fakeKind(k kind, gen func(*gofakeit.Faker) string) builder {
	return func(spec *scenarios.ValueSpec, g genContext) (RowFunc, output, error) {
		if err := noDist(spec); err != nil {
			return nil, output{}, err
		}
		fn := func(f *gofakeit.Faker, _ int64) any { return gen(f) }
		if g.unique && k == kindString {
			u, err := uniqueText(fn, g)
			return u, output{kind: k}, err
		}
		if g.unique && k == kindIP {
			return uniqueIP(g), output{kind: k}, nil
		}
		return fn, output{kind: k}, nil
	}
}

// uuidGen yields random version 4 UUIDs; for loaded rows, the first six
// bytes are a bijection of the row index, so they never repeat.
func uuidGen(spec *scenarios.ValueSpec, g genContext) (RowFunc, output, error) {
	if err := noDist(spec); err != nil {
		return nil, output{}, err
	}
	if g.rows == 0 {
		return func(f *gofakeit.Faker, _ int64) any { return f.UUID() }, output{kind: kindUUID}, nil
	}
	return func(f *gofakeit.Faker, row int64) any { return formatUUID(rowUUID(f, row, g.key)) }, output{kind: kindUUID}, nil
}

// rowUUID is a version 4 UUID whose first 48 bits are a bijection of row
// (and key), the rest random.
func rowUUID(f *gofakeit.Faker, row int64, key uint64) [16]byte {
	const mask48 = 1<<48 - 1
	x := (uint64(row) ^ key) & mask48
	x = (x * 0x5851f42d4c957f2d) & mask48 // odd: a bijection modulo 2^48
	x ^= x >> 25
	var u [16]byte
	binary.BigEndian.PutUint64(u[0:8], x<<16|f.Uint64()&0xffff)
	binary.BigEndian.PutUint64(u[8:16], f.Uint64())
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}

func boolean(spec *scenarios.ValueSpec, g genContext) (RowFunc, output, error) {
	if err := noDist(spec); err != nil {
		return nil, output{}, err
	}
	if g.unique && g.rows > 2 {
		return nil, output{}, fmt.Errorf("%d rows cannot have distinct booleans", g.rows)
	}
	if g.unique {
		return func(_ *gofakeit.Faker, row int64) any { return row == 0 }, output{kind: kindBool}, nil
	}
	return func(f *gofakeit.Faker, _ int64) any { return f.Bool() }, output{kind: kindBool}, nil
}

func sequential(spec *scenarios.ValueSpec, _ genContext) (RowFunc, output, error) {
	if err := noDist(spec); err != nil {
		return nil, output{}, err
	}
	// hi is the row count, known only to the loader, which fills it in.
	fn := func(_ *gofakeit.Faker, row int64) any { return row + 1 }
	return fn, output{kind: kindInt, lo: 1, perRow: true}, nil
}

// maxExactInt is the largest magnitude a float64 bound may have and still be
// an exact integer bound (YAML gives min and max as float64).
const maxExactInt = 1 << 53

func number(spec *scenarios.ValueSpec, g genContext) (RowFunc, output, error) {
	lo, hi, err := bounds(spec, DefaultNumberMin, DefaultNumberMax, maxExactInt)
	if err != nil {
		return nil, output{}, err
	}
	ilo, ihi := int64(math.Ceil(lo)), int64(math.Floor(hi))
	if ilo > ihi {
		return nil, output{}, fmt.Errorf("no integer between min %v and max %v", lo, hi)
	}
	fn, perRow, err := intsIn(spec, g, ilo, ihi, 1)
	if err != nil {
		return nil, output{}, err
	}
	return fn, output{kind: kindInt, lo: float64(ilo), hi: float64(ihi), bounded: true, perRow: perRow}, nil
}

// intsIn draws integers in [lo, hi] with spec's distribution; normal's mean
// and stddev are in units of 1/unit of an integer (100 for cents).
func intsIn(spec *scenarios.ValueSpec, g genContext, lo, hi int64, unit float64) (RowFunc, bool, error) {
	d, err := distOf(spec)
	if err != nil {
		return nil, false, err
	}
	if d.name == DistRecent {
		return nil, false, errors.New("dist recent applies to dates only")
	}
	n := uint64(hi) - uint64(lo) + 1
	mean, stddev := (float64(lo)+float64(hi))/2, (float64(hi)-float64(lo)+1)/6
	if d.hasMean {
		mean = d.mean * unit
	}
	if d.hasStdDev {
		stddev = d.stddev * unit
	}
	pick, err := positions(d, g, n, mean-float64(lo), stddev)
	if err != nil {
		return nil, false, err
	}
	return func(f *gofakeit.Faker, row int64) any { return lo + int64(pick(f, row)) }, d.name == DistSequential, nil
}

// positions is the ranker of a value generator over n positions, unique
// when g asks for it.
func positions(d distSpec, g genContext, n uint64, mean, stddev float64) (ranker, error) {
	if !g.unique {
		return d.ranker(n, mean, stddev), nil
	}
	if d.name != DistUniform && d.name != DistSequential {
		return nil, fmt.Errorf("unique values cannot follow dist %s; use uniform or sequential", d.name)
	}
	if n != 0 && uint64(g.rows) > n {
		return nil, fmt.Errorf("%d rows cannot have distinct values among %d", g.rows, n)
	}
	if d.name == DistSequential {
		return func(_ *gofakeit.Faker, row int64) uint64 { return uint64(row) }, nil
	}
	s := newScatter(n, g.key)
	return func(_ *gofakeit.Faker, row int64) uint64 { return s.at(uint64(row)) }, nil
}

func price(spec *scenarios.ValueSpec, g genContext) (RowFunc, output, error) {
	lo, hi, err := bounds(spec, DefaultPriceMin, DefaultPriceMax, maxExactInt/100)
	if err != nil {
		return nil, output{}, err
	}
	// Work in cents so that every value has exactly two decimals; the epsilon
	// absorbs float noise such as 0.1*100 = 10.000000000000002.
	clo, chi := int64(math.Ceil(lo*100-1e-6)), int64(math.Floor(hi*100+1e-6))
	if clo > chi {
		return nil, output{}, fmt.Errorf("no price with two decimals between min %v and max %v", lo, hi)
	}
	cents, perRow, err := intsIn(spec, g, clo, chi, 100)
	if err != nil {
		return nil, output{}, err
	}
	fn := func(f *gofakeit.Faker, row int64) any { return float64(cents(f, row).(int64)) / 100 }
	return fn, output{kind: kindFloat, lo: float64(clo) / 100, hi: float64(chi) / 100, bounded: true, cents: true, perRow: perRow}, nil
}

// bounds reads min and max with their defaults and checks them.
func bounds(spec *scenarios.ValueSpec, defLo, defHi, limit float64) (float64, float64, error) {
	lo, hi := defLo, defHi
	if spec.Min != nil {
		lo = *spec.Min
	}
	if spec.Max != nil {
		hi = *spec.Max
	}
	for _, v := range []float64{lo, hi} {
		if math.IsNaN(v) || math.Abs(v) > limit {
			return 0, 0, fmt.Errorf("bound %v is outside ±%.0f", v, limit)
		}
	}
	if lo > hi {
		return 0, 0, fmt.Errorf("min %v is above max %v", lo, hi)
	}
	return lo, hi, nil
}

func date(spec *scenarios.ValueSpec, g genContext) (RowFunc, output, error) {
	fromText, toText := cmp.Or(spec.From, DefaultDateFrom), cmp.Or(spec.To, DefaultDateTo)
	from, err := parseTime(fromText)
	if err != nil {
		return nil, output{}, fmt.Errorf("from: %w", err)
	}
	to, err := parseTime(toText)
	if err != nil {
		return nil, output{}, fmt.Errorf("to: %w", err)
	}
	if from.After(to) {
		return nil, output{}, fmt.Errorf("from %s is after to %s", fromText, toText)
	}
	d, err := distOf(spec)
	if err != nil {
		return nil, output{}, err
	}
	fn, err := timesIn(d, g, from, to)
	if err != nil {
		return nil, output{}, err
	}
	return fn, output{kind: kindTime, perRow: d.name == DistSequential}, nil
}

const microsPerDay = 24 * 60 * 60 * 1_000_000

// timesIn draws timestamps in [from, to] (whole days for a date column)
// with distribution d; normal's mean and stddev are fractions of the range.
func timesIn(d distSpec, g genContext, from, to time.Time) (RowFunc, error) {
	// Microseconds: PostgreSQL's resolution, so a value reads back unchanged.
	unit := int64(1)
	if g.days {
		unit = microsPerDay
	}
	lo, hi := ceilDiv(from.UnixMicro(), unit), floorDiv(to.UnixMicro(), unit)
	if lo > hi {
		return nil, fmt.Errorf("no whole day between %s and %s", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	n := uint64(hi-lo) + 1
	mean, stddev := d.normalPositions(float64(n))
	var pick ranker
	switch {
	case d.name == DistSequential && !g.unique:
		pick = spreadRanker(n, g.rows, unit)
	default:
		var err error
		if pick, err = positions(d, g, n, mean, stddev); err != nil {
			return nil, err
		}
	}
	return func(f *gofakeit.Faker, row int64) any {
		return time.UnixMicro((lo + int64(pick(f, row))) * unit).UTC()
	}, nil
}

// spreadRanker spreads rows evenly over n positions in row order, so that
// sequential timestamps grow with the row (as created_at grows with id);
// traffic, which has no row count, steps one second per call.
func spreadRanker(n uint64, rows, unit int64) ranker {
	if rows <= 0 {
		step := uint64(max(1, 1_000_000/unit))
		return func(_ *gofakeit.Faker, row int64) uint64 { return uint64(row) * step % n }
	}
	return func(_ *gofakeit.Faker, row int64) uint64 {
		hi, lo := bits.Mul64(uint64(row)%uint64(rows), n)
		q, _ := bits.Div64(hi, lo, uint64(rows))
		return q
	}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }

// parseTime reads YYYY-MM-DD (midnight UTC) or RFC 3339.
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date: write 2024-01-31 or 2024-01-31T12:00:00Z", s)
	}
	return t.UTC(), nil
}

// compileConst returns the constant, normalised to the Go types generators
// yield (YAML decodes integers as int64 or uint64).
func compileConst(spec *scenarios.ValueSpec, g genContext) (RowFunc, output, error) {
	if err := noDist(spec); err != nil {
		return nil, output{}, err
	}
	if g.unique && g.rows > 1 {
		return nil, output{}, fmt.Errorf("value %v: a constant cannot fill a unique column", spec.Value)
	}
	value, out, err := normaliseConst(spec.Value)
	if err != nil {
		return nil, output{}, err
	}
	out.source = fmt.Sprintf("value %v", value)
	return func(*gofakeit.Faker, int64) any { return value }, out, nil
}

func normaliseConst(v any) (any, output, error) {
	switch x := v.(type) {
	case string:
		return x, output{kind: kindString}, nil
	case bool:
		return x, output{kind: kindBool}, nil
	case time.Time:
		return x.UTC(), output{kind: kindTime}, nil
	case float32:
		return normaliseConst(float64(x))
	case float64:
		return x, output{kind: kindFloat, lo: x, hi: x, bounded: true}, nil
	case uint64:
		if x > math.MaxInt64 {
			return nil, output{}, fmt.Errorf("value %d is too large", x)
		}
		return normaliseConst(int64(x))
	case uint:
		return normaliseConst(uint64(x))
	case uint8, uint16, uint32, int, int8, int16, int32:
		return normaliseConst(toInt64(x))
	case int64:
		return x, output{kind: kindInt, lo: float64(x), hi: float64(x), bounded: true}, nil
	}
	return nil, output{}, fmt.Errorf("value %v: give a number, a string or a boolean, not %T", v, v)
}

func toInt64(v any) int64 {
	switch x := v.(type) {
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case int:
		return int64(x)
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	}
	return 0
}

// uniqueText appends a suffix made from the row index to each value, so
// that values repeat no more: "ann.lee+3f@example.com", "Lisbon-3f". With a
// length limit the value is cut before the suffix, never the suffix.
func uniqueText(fn RowFunc, g genContext) (RowFunc, error) {
	if g.maxLen > 0 {
		need := len(strconv.FormatInt(max(g.rows, 1), 36)) + 1
		if need > g.maxLen {
			return nil, fmt.Errorf("%d distinct values do not fit in %d characters", g.rows, g.maxLen)
		}
	}
	return func(f *gofakeit.Faker, row int64) any {
		v := fn(f, row)
		s, ok := v.(string)
		if !ok {
			return v
		}
		return withSuffix(s, strconv.FormatInt(row, 36), g.maxLen)
	}, nil
}

func withSuffix(s, suffix string, maxLen int) string {
	if at := strings.IndexByte(s, '@'); at > 0 && (maxLen == 0 || len(s)+len(suffix)+1 <= maxLen) {
		return s[:at] + "+" + suffix + s[at:]
	}
	if maxLen > 0 {
		s = truncate(s, maxLen-len(suffix)-1)
	}
	return s + "-" + suffix
}

// uniqueIP gives each row its own address: IPv4 while rows fit in 32 bits,
// IPv6 (fd00::/8) beyond.
func uniqueIP(g genContext) RowFunc {
	if g.rows <= 1<<32 {
		s := newScatter(1<<32, g.key)
		return func(_ *gofakeit.Faker, row int64) any {
			x := uint32(s.at(uint64(row)))
			return netip.AddrFrom4([4]byte{byte(x >> 24), byte(x >> 16), byte(x >> 8), byte(x)}).String()
		}
	}
	return func(_ *gofakeit.Faker, row int64) any {
		var b [16]byte
		b[0], b[1] = 0xfd, 0x00
		binary.BigEndian.PutUint64(b[8:], uint64(row))
		return netip.AddrFrom16(b).String()
	}
}
