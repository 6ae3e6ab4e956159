package datagen

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
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

// builder makes a generator's RowFunc from the spec's options.
type builder func(spec *scenarios.ValueSpec) (RowFunc, output, error)

// generators is the registry of generator names. Adding one is adding an
// entry; GeneratorNames and validation follow.
var generators = map[string]builder{
	"name":            fake((*gofakeit.Faker).Name),
	"firstname":       fake((*gofakeit.Faker).FirstName),
	"lastname":        fake((*gofakeit.Faker).LastName),
	"email":           fake((*gofakeit.Faker).Email),
	"username":        fake((*gofakeit.Faker).Username),
	"phone":           fake((*gofakeit.Faker).Phone),
	"gender":          fake((*gofakeit.Faker).Gender),
	"jobtitle":        fake((*gofakeit.Faker).JobTitle),
	"company":         fake((*gofakeit.Faker).Company),
	"street":          fake((*gofakeit.Faker).Street),
	"city":            fake((*gofakeit.Faker).City),
	"state":           fake((*gofakeit.Faker).State),
	"zip":             fake((*gofakeit.Faker).Zip),
	"country":         fake((*gofakeit.Faker).Country),
	"countryabr":      fake((*gofakeit.Faker).CountryAbr),
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
	"uuid":            fakeKind(kindUUID, (*gofakeit.Faker).UUID),
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

// Compile turns spec into a ValueFunc. keys resolves spec.Ref and may be nil
// when no spec has one. `sequential` counts 1, 2, 3, ... per returned
// ValueFunc (an atomic counter, so the order across goroutines is whatever
// the callers' order is).
func Compile(spec *scenarios.ValueSpec, keys KeySource) (ValueFunc, error) {
	fn, out, err := compile(spec, keys)
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
	fn, _, err := compile(spec, keys)
	return fn, err
}

func compile(spec *scenarios.ValueSpec, keys KeySource) (RowFunc, output, error) {
	if spec == nil {
		return nil, output{}, errors.New("no value spec: give gen, ref or value")
	}
	if spec.Ref == "" {
		return compileLocal(spec)
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
	pick := func(f *gofakeit.Faker, _ int64) any { return k.Pick(f) }
	return withNulls(pick, spec.NullRatio), output{kind: kindOther, source: "ref " + spec.Ref}, nil
}

// compileLocal compiles a spec that needs no keys: a generator or a constant.
func compileLocal(spec *scenarios.ValueSpec) (RowFunc, output, error) {
	if err := checkShape(spec); err != nil {
		return nil, output{}, err
	}
	var (
		fn  RowFunc
		out output
		err error
	)
	if spec.Gen != "" {
		fn, out, err = compileGen(spec)
	} else {
		fn, out, err = compileConst(spec.Value)
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

func compileGen(spec *scenarios.ValueSpec) (RowFunc, output, error) {
	name := strings.ToLower(spec.Gen)
	build, ok := generators[name]
	if !ok {
		return nil, output{}, fmt.Errorf("unknown generator %q (known: %s)", spec.Gen, strings.Join(GeneratorNames(), ", "))
	}
	fn, out, err := build(spec)
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

func fake(gen func(*gofakeit.Faker) string) builder { return fakeKind(kindString, gen) }

func fakeKind(k kind, gen func(*gofakeit.Faker) string) builder {
	return func(*scenarios.ValueSpec) (RowFunc, output, error) {
		return func(f *gofakeit.Faker, _ int64) any { return gen(f) }, output{kind: k}, nil
	}
}

func boolean(*scenarios.ValueSpec) (RowFunc, output, error) {
	return func(f *gofakeit.Faker, _ int64) any { return f.Bool() }, output{kind: kindBool}, nil
}

func sequential(*scenarios.ValueSpec) (RowFunc, output, error) {
	// hi is the row count, known only to the loader, which fills it in.
	fn := func(_ *gofakeit.Faker, row int64) any { return row + 1 }
	return fn, output{kind: kindInt, lo: 1, perRow: true}, nil
}

// maxExactInt is the largest magnitude a float64 bound may have and still be
// an exact integer bound (YAML gives min and max as float64).
const maxExactInt = 1 << 53

func number(spec *scenarios.ValueSpec) (RowFunc, output, error) {
	lo, hi, err := bounds(spec, DefaultNumberMin, DefaultNumberMax, maxExactInt)
	if err != nil {
		return nil, output{}, err
	}
	ilo, ihi := int64(math.Ceil(lo)), int64(math.Floor(hi))
	if ilo > ihi {
		return nil, output{}, fmt.Errorf("no integer between min %v and max %v", lo, hi)
	}
	fn := func(f *gofakeit.Faker, _ int64) any { return uniformInt(f, ilo, ihi) }
	return fn, output{kind: kindInt, lo: float64(ilo), hi: float64(ihi), bounded: true}, nil
}

func price(spec *scenarios.ValueSpec) (RowFunc, output, error) {
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
	fn := func(f *gofakeit.Faker, _ int64) any { return float64(uniformInt(f, clo, chi)) / 100 }
	return fn, output{kind: kindFloat, lo: float64(clo) / 100, hi: float64(chi) / 100, bounded: true, cents: true}, nil
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

func date(spec *scenarios.ValueSpec) (RowFunc, output, error) {
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
	// Microseconds: PostgreSQL's resolution, so a value reads back unchanged.
	lo, hi := from.UnixMicro(), to.UnixMicro()
	fn := func(f *gofakeit.Faker, _ int64) any { return time.UnixMicro(uniformInt(f, lo, hi)).UTC() }
	return fn, output{kind: kindTime}, nil
}

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
func compileConst(v any) (RowFunc, output, error) {
	value, out, err := normaliseConst(v)
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
