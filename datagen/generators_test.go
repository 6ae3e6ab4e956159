package datagen

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rehearse/rehearse/internal/pgtest"
	"github.com/rehearse/rehearse/scenarios"
)

func ptr(v float64) *float64 { return &v }

func mustCompileRow(t *testing.T, spec *scenarios.ValueSpec) RowFunc {
	t.Helper()
	fn, err := CompileRow(spec, nil)
	if err != nil {
		t.Fatalf("compile %+v: %v", spec, err)
	}
	return fn
}

func TestGeneratorNamesSortedAndComplete(t *testing.T) {
	names := GeneratorNames()
	if !slices.IsSorted(names) {
		t.Errorf("names not sorted: %v", names)
	}
	for _, want := range []string{"name", "firstname", "lastname", "email", "company", "city", "country",
		"uuid", "word", "sentence", "phone", "username", "url", "street", "zip", "state", "color",
		"ipv4address", "paragraph", "number", "price", "date", "bool", "sequential"} {
		if !slices.Contains(names, want) {
			t.Errorf("generator %q missing", want)
		}
	}
}

// Every generator must yield the Go type its declared kind promises, since
// the column type checks before loading rely on it.
func TestEveryGeneratorYieldsItsKind(t *testing.T) {
	f := SeededFaker(1, "kinds", 0)
	for _, name := range GeneratorNames() {
		fn, out, err := compile(&scenarios.ValueSpec{Gen: name}, nil, genContext{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for row := range int64(50) {
			v := fn(f, row)
			ok := false
			switch out.kind {
			case kindString, kindUUID, kindIP:
				s, isString := v.(string)
				ok = isString && s != ""
			case kindInt:
				_, ok = v.(int64)
			case kindFloat:
				_, ok = v.(float64)
			case kindTime:
				_, ok = v.(time.Time)
			case kindBool:
				_, ok = v.(bool)
			}
			if !ok {
				t.Fatalf("%s yields %T %v, want %s", name, v, v, out.kind)
			}
		}
	}
}

func TestNumberStaysInBoundsAndCoversThem(t *testing.T) {
	fn := mustCompileRow(t, &scenarios.ValueSpec{Gen: "number", Min: ptr(-3), Max: ptr(4)})
	f := SeededFaker(7, "number", 0)
	seen := map[int64]bool{}
	for range 10_000 {
		v := fn(f, 0).(int64)
		if v < -3 || v > 4 {
			t.Fatalf("number %d outside -3..4", v)
		}
		seen[v] = true
	}
	if len(seen) != 8 {
		t.Errorf("saw %d distinct values, want all 8 of -3..4", len(seen))
	}
	def := mustCompileRow(t, &scenarios.ValueSpec{Gen: "number"})
	for range 1000 {
		if v := def(f, 0).(int64); v < DefaultNumberMin || v > DefaultNumberMax {
			t.Fatalf("default number %d outside %d..%d", v, DefaultNumberMin, DefaultNumberMax)
		}
	}
}

func TestPriceHasTwoDecimalsWithinBounds(t *testing.T) {
	fn := mustCompileRow(t, &scenarios.ValueSpec{Gen: "price", Min: ptr(0.1), Max: ptr(2.5)})
	f := SeededFaker(7, "price", 0)
	for range 10_000 {
		v := fn(f, 0).(float64)
		if v < 0.1 || v > 2.5 {
			t.Fatalf("price %v outside 0.1..2.5", v)
		}
		if cents := v * 100; math.Abs(cents-math.Round(cents)) > 1e-6 {
			t.Fatalf("price %v has more than two decimals", v)
		}
	}
}

func TestDateStaysInRange(t *testing.T) {
	cases := []struct {
		spec     scenarios.ValueSpec
		from, to time.Time
	}{
		{scenarios.ValueSpec{Gen: "date"}, time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		{scenarios.ValueSpec{Gen: "date", From: "2020-02-01", To: "2020-02-03"},
			time.Date(2020, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2020, 2, 3, 0, 0, 0, 0, time.UTC)},
		{scenarios.ValueSpec{Gen: "date", From: "2020-02-01T10:00:00+02:00", To: "2020-02-01T10:00:01+02:00"},
			time.Date(2020, 2, 1, 8, 0, 0, 0, time.UTC), time.Date(2020, 2, 1, 8, 0, 1, 0, time.UTC)},
	}
	for _, c := range cases {
		fn := mustCompileRow(t, &c.spec)
		f := SeededFaker(3, "date", 0)
		for range 5000 {
			v := fn(f, 0).(time.Time)
			if v.Before(c.from) || v.After(c.to) {
				t.Fatalf("%+v: %v outside %v..%v", c.spec, v, c.from, c.to)
			}
			if v.Nanosecond()%1000 != 0 {
				t.Fatalf("%v has sub-microsecond precision", v)
			}
		}
	}
}

func TestSameSeedSameValuesOtherSeedOthers(t *testing.T) {
	draw := func(seed int64, stream string, chunk int64) []any {
		var out []any
		for _, name := range []string{"name", "email", "number", "price", "date", "uuid", "sentence"} {
			fn := mustCompileRow(t, &scenarios.ValueSpec{Gen: name, NullRatio: 0.1})
			f := SeededFaker(seed, stream, chunk)
			for range 20 {
				out = append(out, fn(f, 0))
			}
		}
		return out
	}
	a := draw(42, "users", 3)
	if b := draw(42, "users", 3); !slices.Equal(a, b) {
		t.Fatal("same seed, stream and chunk gave different values")
	}
	for _, other := range [][]any{draw(43, "users", 3), draw(42, "orders", 3), draw(42, "users", 4)} {
		if slices.Equal(a, other) {
			t.Fatal("a different seed, stream or chunk gave the same values")
		}
	}
}

func TestSequential(t *testing.T) {
	row := mustCompileRow(t, &scenarios.ValueSpec{Gen: "sequential"})
	for _, r := range []int64{0, 1, 9_999, 10_000} {
		if got := row(nil, r); got != r+1 {
			t.Errorf("row %d: got %v, want %d", r, got, r+1)
		}
	}
	counter, err := Compile(&scenarios.ValueSpec{Gen: "sequential"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for want := int64(1); want <= 3; want++ {
		if got := counter(nil); got != want {
			t.Errorf("call %d: got %v", want, got)
		}
	}
}

func TestNullRatio(t *testing.T) {
	for _, ratio := range []float64{0, 0.5, 1} {
		fn := mustCompileRow(t, &scenarios.ValueSpec{Gen: "word", NullRatio: ratio})
		f := SeededFaker(11, "nulls", 0)
		nulls := 0
		for range 10_000 {
			if fn(f, 0) == nil {
				nulls++
			}
		}
		share := float64(nulls) / 10_000
		if math.Abs(share-ratio) > 0.1 {
			t.Errorf("null_ratio %v: %v of values were NULL", ratio, share)
		}
	}
}

func TestConstantValues(t *testing.T) {
	cases := map[any]any{uint64(42): int64(42), int64(-1): int64(-1), 2.5: 2.5, "x": "x", true: true, 7: int64(7)}
	for in, want := range cases {
		fn, err := Compile(&scenarios.ValueSpec{Value: in}, nil)
		if err != nil {
			t.Fatalf("%v: %v", in, err)
		}
		if got := fn(nil); got != want {
			t.Errorf("value %v (%T): got %v (%T)", in, in, got, got)
		}
	}
}

func TestCompileRejectsBadSpecs(t *testing.T) {
	cases := []struct {
		spec *scenarios.ValueSpec
		want string
	}{
		{nil, "no value spec"},
		{&scenarios.ValueSpec{}, "give one of gen, ref or value"},
		{&scenarios.ValueSpec{Gen: "name", Value: "x"}, "only one of"},
		{&scenarios.ValueSpec{Gen: "nmae"}, `unknown generator "nmae"`},
		{&scenarios.ValueSpec{Gen: "number", Min: ptr(10), Max: ptr(1)}, "min 10 is above max 1"},
		{&scenarios.ValueSpec{Gen: "number", Min: ptr(1.2), Max: ptr(1.8)}, "no integer"},
		{&scenarios.ValueSpec{Gen: "number", Max: ptr(1e300)}, "outside"},
		{&scenarios.ValueSpec{Gen: "price", Min: ptr(math.NaN())}, "outside"},
		{&scenarios.ValueSpec{Gen: "date", From: "yesterday"}, `"yesterday" is not a date`},
		{&scenarios.ValueSpec{Gen: "date", From: "2024-01-02", To: "2024-01-01"}, "is after"},
		{&scenarios.ValueSpec{Gen: "word", NullRatio: 1.5}, "null_ratio"},
		{&scenarios.ValueSpec{Value: map[string]any{"a": 1}}, "give a number, a string or a boolean"},
		{&scenarios.ValueSpec{Ref: "users.id"}, "no key source"},
		{&scenarios.ValueSpec{Ref: "users"}, "table.column"},
	}
	keys := func(ref string) (*Keys, error) {
		if _, _, err := splitRef(ref); err != nil {
			return nil, err
		}
		return nil, errors.New("no key source")
	}
	for _, c := range cases {
		_, err := Compile(c.spec, keys)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got error %v, want it to mention %q", c.spec, err, c.want)
		}
	}
}

func TestKeysPick(t *testing.T) {
	f := SeededFaker(5, "keys", 0)
	dense := NewKeyRange(10, 12)
	if dense.Len() != 3 {
		t.Errorf("Len = %d, want 3", dense.Len())
	}
	seen := map[any]bool{}
	for range 1000 {
		seen[dense.Pick(f)] = true
	}
	if len(seen) != 3 || !seen[int64(10)] || !seen[int64(12)] {
		t.Errorf("dense picks %v, want exactly 10, 11, 12", seen)
	}
	values := NewKeys([]any{"a", "b"})
	for range 100 {
		if v := values.Pick(f); v != "a" && v != "b" {
			t.Fatalf("picked %v", v)
		}
	}
	if empty := NewKeyRange(1, 0); empty.Len() != 0 || empty.Pick(f) != nil {
		t.Error("empty keys must have Len 0 and pick nil")
	}
	fn, err := Compile(&scenarios.ValueSpec{Ref: "t.c"}, func(string) (*Keys, error) { return dense, nil })
	if err != nil {
		t.Fatal(err)
	}
	if v := fn(f).(int64); v < 10 || v > 12 {
		t.Errorf("ref picked %d", v)
	}
}

func TestConversionHelpers(t *testing.T) {
	if got := truncate("héllo wörld", 5); got != "héllo" {
		t.Errorf("truncate = %q", got)
	}
	u := "123e4567-e89b-12d3-a456-426614174000"
	b, err := parseUUID(u)
	if err != nil || formatUUID(b) != u {
		t.Errorf("uuid round trip: %v %v", formatUUID(b), err)
	}
	if _, err := parseUUID("123e4567e89b12d3a456426614174000"); err == nil {
		t.Error("uuid without dashes accepted")
	}
	col := &column{base: "numeric", typ: "numeric(5,2)", typmod: (5<<16 | 2) + 4}
	if err := numericFits(col, output{kind: kindFloat, lo: 1, hi: 999.99, bounded: true}); err != nil {
		t.Errorf("999.99 in numeric(5,2): %v", err)
	}
	if err := numericFits(col, output{kind: kindFloat, lo: 1, hi: 999.999, bounded: true, source: "generator price"}); err == nil {
		t.Error("999.999 rounds to 1000.00, which numeric(5,2) cannot hold")
	}
	small := &column{base: "int2", typ: "smallint"}
	if err := intFits(small, output{kind: kindInt, lo: 1, hi: 40_000, bounded: true}); err == nil {
		t.Error("40000 accepted for smallint")
	}
}

// The hand-written numeric encoding must read back as the value it encodes.
func TestDecimalEncoding(t *testing.T) {
	conn := pgtest.Connect(t, pgtest.NewDB(t))
	registerDecimal(conn)
	cases := map[decimal]string{
		{0, 0}: "0", {0, 2}: "0.00", {5, 2}: "0.05", {100, 2}: "1.00", {12345, 2}: "123.45",
		{123456789, 2}: "1234567.89", {-1, 2}: "-0.01", {-100000000, 2}: "-1000000.00",
		{900000000000000001, 2}: "9000000000000000.01", {1, 0}: "1", {10000, 0}: "10000",
		{99999999999, 0}: "99999999999", {-7, 0}: "-7", {math.MinInt64 + 1, 0}: "-9223372036854775807",
		{math.MaxInt64, 0}: "9223372036854775807",
		{12345, 3}:         "12.345", {5, 5}: "0.00005", {-123456789, 4}: "-12345.6789", {100000, 5}: "1.00000",
		{1, 15}: "0.000000000000001", {math.MaxInt64, 15}: "9223.372036854775807",
	}
	for d, want := range cases {
		var got string
		if err := conn.QueryRow(context.Background(), "SELECT $1::numeric::text", d).Scan(&got); err != nil {
			t.Fatalf("%+v: %v", d, err)
		}
		if got != want {
			t.Errorf("%+v reads back as %s, want %s", d, got, want)
		}
	}
}
