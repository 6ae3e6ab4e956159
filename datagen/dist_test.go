package datagen

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rehearse/rehearse/scenarios"
)

// draws returns how often each position of n came up in k draws.
func draws(t *testing.T, spec *scenarios.ValueSpec, n uint64, k int) []int {
	t.Helper()
	d, err := distOf(spec)
	if err != nil {
		t.Fatalf("%+v: %v", spec, err)
	}
	mean, stddev := d.normalPositions(float64(n))
	rank := d.ranker(n, mean, stddev)
	f := SeededFaker(1, "dist", 0)
	counts := make([]int, n)
	for i := range k {
		p := rank(f, int64(i))
		if p >= n {
			t.Fatalf("%s: position %d outside [0, %d)", d.name, p, n)
		}
		counts[p]++
	}
	return counts
}

func TestZipfFollowsItsExponent(t *testing.T) {
	t.Parallel()
	for _, s := range []float64{0.8, 1, 1.5} {
		counts := draws(t, &scenarios.ValueSpec{Dist: DistZipf, Exponent: &s}, 1000, 200_000)
		// P(k) ∝ 1/k^s: the first position is 2^s times as frequent as the second.
		ratio := float64(counts[0]) / float64(counts[1])
		if want := math.Pow(2, s); math.Abs(ratio-want)/want > 0.1 {
			t.Errorf("s=%v: first/second = %.2f, want about %.2f", s, ratio, want)
		}
		if counts[0] <= counts[10] || counts[10] <= counts[500] {
			t.Errorf("s=%v: frequencies do not decrease: %d, %d, %d", s, counts[0], counts[10], counts[500])
		}
	}
}

func TestHotPutsItsShareOnItsKeys(t *testing.T) {
	t.Parallel()
	counts := draws(t, &scenarios.ValueSpec{Hot: &scenarios.Hot{Keys: 0.01, Share: 0.9}}, 10_000, 100_000)
	hot := 0
	for _, c := range counts[:100] {
		hot += c
	}
	if share := float64(hot) / 100_000; math.Abs(share-0.9) > 0.01 {
		t.Errorf("the first 1%% of positions got %.3f of the draws, want 0.9", share)
	}
}

func TestNormalCentresOnItsMean(t *testing.T) {
	t.Parallel()
	mean, sd := 0.25, 0.05
	counts := draws(t, &scenarios.ValueSpec{Dist: DistNormal, Mean: &mean, StdDev: &sd}, 1000, 100_000)
	var sum, within float64
	for p, c := range counts {
		sum += float64(p * c)
		if p >= 200 && p < 300 {
			within += float64(c)
		}
	}
	if m := sum / 100_000; math.Abs(m-249.5) > 2 {
		t.Errorf("mean position %.1f, want about 249.5", m)
	}
	if share := within / 100_000; math.Abs(share-0.683) > 0.02 {
		t.Errorf("%.3f of draws within one stddev, want about 0.683", share)
	}
}

func TestRecentSkewsTowardTheEnd(t *testing.T) {
	t.Parallel()
	for _, e := range []float64{0, 1, 3} {
		counts := draws(t, &scenarios.ValueSpec{Dist: DistRecent, Exponent: &e}, 1000, 100_000)
		late := 0
		for _, c := range counts[500:] {
			late += c
		}
		want := 1 - math.Pow(0.5, e+1)
		if share := float64(late) / 100_000; math.Abs(share-want) > 0.01 {
			t.Errorf("e=%v: later half got %.3f, want %.3f", e, share, want)
		}
	}
}

func TestSequentialCyclesInOrder(t *testing.T) {
	t.Parallel()
	d, _ := distOf(&scenarios.ValueSpec{Dist: DistSequential})
	rank := d.ranker(3, 0, 0)
	var got []uint64
	for row := range int64(7) {
		got = append(got, rank(nil, row))
	}
	if !slices.Equal(got, []uint64{0, 1, 2, 0, 1, 2, 0}) {
		t.Errorf("sequential positions %v", got)
	}
}

func TestDistRejectsBadParameters(t *testing.T) {
	t.Parallel()
	neg, one := -1.0, 1.0
	for _, c := range []struct {
		spec scenarios.ValueSpec
		want string
	}{
		{scenarios.ValueSpec{Dist: "pareto"}, "unknown dist"},
		{scenarios.ValueSpec{Dist: DistZipf, Exponent: &neg}, "exponent"},
		{scenarios.ValueSpec{Dist: DistNormal, StdDev: &neg}, "stddev"},
		{scenarios.ValueSpec{Hot: &scenarios.Hot{Keys: 1.5, Share: 0.5}}, "keys in (0, 1)"},
		{scenarios.ValueSpec{Dist: DistUniform, Exponent: &one}, "exponent applies"},
		{scenarios.ValueSpec{Dist: DistZipf, Mean: &one}, "mean and stddev apply"},
		{scenarios.ValueSpec{Dist: DistZipf, Hot: &scenarios.Hot{Keys: 0.1, Share: 0.5}}, "hot applies"},
	} {
		if _, err := distOf(&c.spec); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want %q", c.spec, err, c.want)
		}
	}
}

func TestScatterIsABijection(t *testing.T) {
	t.Parallel()
	for _, n := range []uint64{1, 2, 3, 7, 1000, 1 << 10, 4097} {
		s := newScatter(n, 12345)
		seen := make([]bool, n)
		for i := range n {
			p := s.at(i)
			if p >= n || seen[p] {
				t.Fatalf("n=%d: position %d maps to %d twice or out of range", n, i, p)
			}
			seen[p] = true
		}
		if n == 1000 && s.at(0)+1 == s.at(1) {
			t.Errorf("neighbours stay neighbours: %d, %d", s.at(0), s.at(1))
		}
	}
}

func TestGeneratorsFollowDistributions(t *testing.T) {
	t.Parallel()
	f := SeededFaker(3, "gen", 0)
	lo, hi := 1.0, 100.0
	zipf := mustCompileRow(t, &scenarios.ValueSpec{Gen: "number", Min: &lo, Max: &hi, Dist: DistZipf})
	ones := 0
	for range 10_000 {
		v := zipf(f, 0).(int64)
		if v < 1 || v > 100 {
			t.Fatalf("zipf number %d outside 1..100", v)
		}
		if v == 1 {
			ones++
		}
	}
	if ones < 1500 { // P(1) = 1/H(100) ≈ 0.19
		t.Errorf("zipf over 1..100 drew 1 only %d times in 10000", ones)
	}
	mean, sd := 50.0, 5.0
	normal := mustCompileRow(t, &scenarios.ValueSpec{Gen: "price", Min: &lo, Max: &hi, Dist: DistNormal, Mean: &mean, StdDev: &sd})
	var sum float64
	for range 10_000 {
		sum += normal(f, 0).(float64)
	}
	if m := sum / 10_000; math.Abs(m-50) > 0.5 {
		t.Errorf("normal price mean %.2f, want 50", m)
	}
	recent := mustCompileRow(t, &scenarios.ValueSpec{Gen: "date", From: "2020-01-01", To: "2022-01-01", Dist: DistRecent, Exponent: ptr(2)})
	late := 0
	for range 10_000 {
		if recent(f, 0).(time.Time).Year() == 2021 {
			late++
		}
	}
	if late < 8500 || late > 9000 { // 1 - 0.5^3 = 0.875
		t.Errorf("recent: %d of 10000 dates in the later year, want about 8750", late)
	}
	seq := mustCompileRow(t, &scenarios.ValueSpec{Gen: "date", From: "2020-01-01", To: "2020-01-02", Dist: DistSequential})
	if a, b := seq(f, 0).(time.Time), seq(f, 1).(time.Time); !b.After(a) {
		t.Errorf("sequential dates do not grow: %v, %v", a, b)
	}
}

func TestUniqueGeneratorsNeverRepeat(t *testing.T) {
	t.Parallel()
	g := genContext{rows: 5000, unique: true, key: 99}
	for _, spec := range []*scenarios.ValueSpec{
		{Gen: "number", Min: ptr(1), Max: ptr(5000)},
		{Gen: "email"},
		{Gen: "country"},
		{Gen: "date", From: "2024-01-01", To: "2024-01-02"},
		{Gen: "uuid"},
		{Gen: "ipv4address"},
	} {
		fn, _, err := compile(spec, nil, g)
		if err != nil {
			t.Fatalf("%+v: %v", spec, err)
		}
		seen := map[any]bool{}
		f := SeededFaker(1, "unique", 0)
		for row := range int64(5000) {
			v := fn(f, row)
			if seen[v] {
				t.Fatalf("%s repeats %v at row %d", spec.Gen, v, row)
			}
			seen[v] = true
		}
	}
	if _, _, err := compile(&scenarios.ValueSpec{Gen: "number", Min: ptr(1), Max: ptr(10)}, nil, g); err == nil {
		t.Error("5000 distinct numbers among 10 accepted")
	}
	if _, _, err := compile(&scenarios.ValueSpec{Gen: "number", Dist: DistZipf}, nil, g); err == nil {
		t.Error("unique zipf accepted")
	}
	short := g
	short.maxLen = 5
	fn, _, err := compile(&scenarios.ValueSpec{Gen: "city"}, nil, short)
	if err != nil {
		t.Fatal(err)
	}
	if v := fn(SeededFaker(1, "u", 0), 4999).(string); len(v) > 5 {
		t.Errorf("unique value %q is longer than 5", v)
	}
}

func TestRefDistributionsAgreeBetweenDataAndTraffic(t *testing.T) {
	t.Parallel()
	keys := NewKeyRange(1, 10_000)
	spec := &scenarios.ValueSpec{Ref: "users.id", Hot: &scenarios.Hot{Keys: 0.01, Share: 0.95}}
	source := func(string) (*Keys, error) { return keys, nil }
	row, err := CompileRow(spec, source)
	if err != nil {
		t.Fatal(err)
	}
	traffic, err := Compile(spec, source)
	if err != nil {
		t.Fatal(err)
	}
	top := func(draw func(i int) int64) map[int64]bool {
		counts := map[int64]int{}
		for i := range 50_000 {
			counts[draw(i)]++
		}
		hot := map[int64]bool{}
		for k, c := range counts {
			if c > 100 { // a hot key gets ~475 of 50,000; a cold one ~0.25
				hot[k] = true
			}
		}
		return hot
	}
	fd, ft := SeededFaker(1, "data", 0), SeededFaker(2, "traffic", 0)
	data := top(func(i int) int64 { return row(fd, int64(i)).(int64) })
	seen := top(func(int) int64 { return traffic(ft).(int64) })
	if len(data) != 100 || !mapsEqual(data, seen) {
		t.Errorf("hot keys differ: data has %d, traffic %d", len(data), len(seen))
	}
	var ids []int64
	for k := range data {
		ids = append(ids, k)
	}
	slices.Sort(ids)
	if ids[len(ids)-1]-ids[0] < 5000 {
		t.Errorf("hot keys bunch together in %d..%d", ids[0], ids[len(ids)-1])
	}
}

func mapsEqual(a, b map[int64]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}
