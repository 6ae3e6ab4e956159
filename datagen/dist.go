package datagen

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/brianvoe/gofakeit/v7"

	"github.com/rehearse/rehearse/scenarios"
)

// Distribution names accepted in a ValueSpec's Dist.
const (
	DistUniform    = "uniform"
	DistZipf       = "zipf"
	DistNormal     = "normal"
	DistSequential = "sequential"
	DistHot        = "hot"
	DistRecent     = "recent"
	// DistStats draws from a column's pg_stats (StatsDist, read with
	// LoadStatsDist on the database the values are for); compiled without
	// them it draws uniformly.
	DistStats = scenarios.DistStats
)

// Defaults of the distributions' parameters.
const (
	// DefaultZipfExponent is zipf's s: the k-th most frequent position has
	// weight 1/k^s.
	DefaultZipfExponent = 1.0
	// DefaultRecentExponent is recent's steepness e: the density at a point
	// x of the range (0 at from, 1 at to) is proportional to x^e, so the
	// later half of the range holds 1 - 0.5^(e+1) of the values (75% for 1).
	DefaultRecentExponent = 1.0
	// DefaultHotKeys and DefaultHotShare are hot's default: 80% of the draws
	// on 20% of the keys.
	DefaultHotKeys  = 0.2
	DefaultHotShare = 0.8
	// DefaultNormalMean and DefaultNormalStdDev are normal's mean and
	// standard deviation as fractions of the range.
	DefaultNormalMean   = 0.5
	DefaultNormalStdDev = 1.0 / 6
)

// distSpec is a ValueSpec's distribution with its defaults applied.
type distSpec struct {
	name     string
	exponent float64
	// mean and stddev as given, in the values' units or as fractions.
	mean, stddev       float64
	hasMean, hasStdDev bool
	hotKeys, hotShare  float64
}

// distOf reads and checks the distribution of spec.
func distOf(spec *scenarios.ValueSpec) (distSpec, error) {
	d := distSpec{name: spec.Dist}
	if d.name == "" {
		d.name = DistUniform
		if spec.Hot != nil {
			d.name = DistHot
		}
	}
	switch d.name {
	case DistUniform, DistSequential:
	case DistStats:
		d.name = DistUniform
	case DistZipf, DistRecent:
		d.exponent = DefaultZipfExponent
		if d.name == DistRecent {
			d.exponent = DefaultRecentExponent
		}
		if spec.Exponent != nil {
			d.exponent = *spec.Exponent
		}
		if !(d.exponent > 0 || d.name == DistRecent && d.exponent == 0) || d.exponent > 100 {
			return d, fmt.Errorf("exponent %v is out of range", d.exponent)
		}
	case DistNormal:
		if spec.Mean != nil {
			d.mean, d.hasMean = *spec.Mean, true
		}
		if spec.StdDev != nil {
			d.stddev, d.hasStdDev = *spec.StdDev, true
			if !(d.stddev > 0) || math.IsInf(d.stddev, 0) {
				return d, fmt.Errorf("stddev %v must be > 0", d.stddev)
			}
		}
		if math.IsNaN(d.mean) || math.IsInf(d.mean, 0) {
			return d, fmt.Errorf("mean %v is not a number", d.mean)
		}
	case DistHot:
		d.hotKeys, d.hotShare = DefaultHotKeys, DefaultHotShare
		if spec.Hot != nil {
			d.hotKeys, d.hotShare = spec.Hot.Keys, spec.Hot.Share
		}
		if !(d.hotKeys > 0 && d.hotKeys < 1) || !(d.hotShare >= 0 && d.hotShare <= 1) {
			return d, fmt.Errorf("hot needs keys in (0, 1) and share in [0, 1], got keys %v, share %v", d.hotKeys, d.hotShare)
		}
	default:
		return d, fmt.Errorf("unknown dist %q (known: uniform, zipf, normal, sequential, hot, recent)", spec.Dist)
	}
	if spec.Exponent != nil && d.name != DistZipf && d.name != DistRecent {
		return d, fmt.Errorf("exponent applies to dist zipf and recent only")
	}
	if (spec.Mean != nil || spec.StdDev != nil) && d.name != DistNormal {
		return d, fmt.Errorf("mean and stddev apply to dist normal only")
	}
	if spec.Hot != nil && d.name != DistHot {
		return d, fmt.Errorf("hot applies to dist hot only, not %s", d.name)
	}
	return d, nil
}

// uniform reports whether positions are drawn uniformly.
func (d distSpec) uniform() bool { return d.name == DistUniform }

// ranker draws a position in [0, n) for a row. Data passes the row's
// index; traffic passes a per-generator call counter. Same concurrency
// rules as RowFunc.
type ranker func(f *gofakeit.Faker, row int64) uint64

// ranker returns the distribution over n positions (n = 0 means 2^64).
// mean and stddev are in positions; normal's defaults are used when the
// spec gave none (fractionMean reports that mean and stddev were given as
// fractions of the range).
func (d distSpec) ranker(n uint64, meanPos, stddevPos float64) ranker {
	size := float64(n)
	if n == 0 {
		size = math.Exp2(64)
	}
	switch d.name {
	case DistSequential:
		return func(_ *gofakeit.Faker, row int64) uint64 {
			if n == 0 {
				return uint64(row)
			}
			return uint64(row) % n
		}
	case DistZipf:
		z := newZipf(min(size, math.Exp2(62)), d.exponent)
		return func(f *gofakeit.Faker, _ int64) uint64 { return z.sample(f) }
	case DistNormal:
		return func(f *gofakeit.Faker, _ int64) uint64 { return normalPos(f, size, meanPos, stddevPos) }
	case DistHot:
		return hotRanker(n, size, d.hotKeys, d.hotShare)
	case DistRecent:
		inv := 1 / (d.exponent + 1)
		return func(f *gofakeit.Faker, _ int64) uint64 {
			return clampPos(math.Floor(size*math.Pow(f.Float64(), inv)), size)
		}
	}
	return func(f *gofakeit.Faker, _ int64) uint64 {
		if n == 0 {
			return f.Uint64()
		}
		return uniformN(f, n)
	}
}

// normalPositions converts normal's mean and stddev given as fractions of
// the range (or the defaults) into positions among n.
func (d distSpec) normalPositions(size float64) (mean, stddev float64) {
	mean, stddev = DefaultNormalMean, DefaultNormalStdDev
	if d.hasMean {
		mean = d.mean
	}
	if d.hasStdDev {
		stddev = d.stddev
	}
	return mean*size - 0.5, stddev * size
}

func clampPos(x, size float64) uint64 {
	switch {
	case !(x > 0):
		return 0
	case x >= size:
		if size >= math.Exp2(64) {
			return math.MaxUint64
		}
		return uint64(size) - 1
	}
	return uint64(x)
}

// normalPos draws from a normal distribution truncated to [0, size): values
// outside are drawn again, a few times, then clamped.
func normalPos(f *gofakeit.Faker, size, mean, stddev float64) uint64 {
	var x float64
	for range 8 {
		x = math.Round(mean + stddev*stdNormal(f))
		if x >= 0 && x < size {
			break
		}
	}
	return clampPos(x, size)
}

// stdNormal is a standard normal variate (Box-Muller).
func stdNormal(f *gofakeit.Faker) float64 {
	u := 1 - f.Float64() // (0, 1]
	return math.Sqrt(-2*math.Log(u)) * math.Cos(2*math.Pi*f.Float64())
}

func hotRanker(n uint64, size, keys, share float64) ranker {
	hot := uint64(math.Max(1, math.Round(keys*size)))
	if n != 0 && hot >= n {
		hot = n - 1
	}
	if hot == 0 { // one key: it is all there is
		return func(*gofakeit.Faker, int64) uint64 { return 0 }
	}
	cold := n - hot // wraps to 2^64 - hot for n = 0, as intended
	return func(f *gofakeit.Faker, _ int64) uint64 {
		if f.Float64() < share {
			return uniformN(f, hot)
		}
		return hot + uniformN(f, cold)
	}
}

// zipf draws k in [0, n) with probability proportional to 1/(k+1)^s, for
// any s > 0, by rejection-inversion (W. Hörmann and G. Derflinger, "Rejection-
// inversion to generate variates from monotone discrete distributions", 1996):
// constant time per draw, no table.
type zipf struct {
	n, s                float64
	hIntX1, hIntN, skip float64
}

func newZipf(n, s float64) *zipf {
	z := &zipf{n: n, s: s}
	z.hIntX1 = z.hIntegral(1.5) - 1
	z.hIntN = z.hIntegral(n + 0.5)
	z.skip = 2 - z.hIntegralInverse(z.hIntegral(2.5)-z.h(2))
	return z
}

func (z *zipf) sample(f *gofakeit.Faker) uint64 {
	for {
		u := z.hIntN + f.Float64()*(z.hIntX1-z.hIntN)
		x := z.hIntegralInverse(u)
		k := math.Floor(x + 0.5)
		k = math.Max(1, math.Min(k, z.n))
		if k-x <= z.skip || u >= z.hIntegral(k+0.5)-z.h(k) {
			return uint64(k) - 1
		}
	}
}

func (z *zipf) h(x float64) float64 { return math.Exp(-z.s * math.Log(x)) }

// hIntegral is the integral of h: (x^(1-s) - 1) / (1-s), or log x for s = 1.
func (z *zipf) hIntegral(x float64) float64 {
	lx := math.Log(x)
	return expm1x((1-z.s)*lx) * lx
}

func (z *zipf) hIntegralInverse(x float64) float64 {
	t := x * (1 - z.s)
	if t < -1 {
		t = -1 // rounding near the lower end
	}
	return math.Exp(log1px(t) * x)
}

// expm1x is (e^x - 1)/x, continuous at 0.
func expm1x(x float64) float64 {
	if math.Abs(x) > 1e-8 {
		return math.Expm1(x) / x
	}
	return 1 + x/2*(1+x/3*(1+x/4))
}

// log1px is log(1+x)/x, continuous at 0.
func log1px(x float64) float64 {
	if math.Abs(x) > 1e-8 {
		return math.Log1p(x) / x
	}
	return 1 - x*(0.5-x*(1.0/3-0.25*x))
}

// scatter is a bijection of [0, n) that sends neighbouring positions far
// apart: hot or zipf-ranked keys land all over a table rather than in its
// first pages. It depends on n and key only, so the traffic, which reads the
// same keys after the load, finds the same hot keys as the data.
type scatter struct {
	n, mask uint64
	half    uint
	key     uint64
}

func newScatter(n, key uint64) scatter {
	k := uint(64)
	if n != 0 {
		k = uint(bits.Len64(n - 1))
	}
	mask := uint64(math.MaxUint64)
	if k < 64 {
		mask = 1<<k - 1
	}
	return scatter{n: n, mask: mask, half: k/2 + 1, key: key}
}

// at maps position i < n to its scattered position, walking the cycle of a
// permutation of [0, 2^k) until it falls inside [0, n).
func (s scatter) at(i uint64) uint64 {
	x := i
	for {
		x = s.permute(x)
		if s.n == 0 || x < s.n {
			return x
		}
	}
}

// permute is a bijection of [0, 2^k): each step (adding, multiplying by an
// odd number, xor with a right shift) is invertible modulo 2^k.
func (s scatter) permute(x uint64) uint64 {
	x = (x + s.key) & s.mask
	x = (x * 0x9e3779b97f4a7c15) & s.mask
	x ^= x >> s.half
	x = (x * 0xbf58476d1ce4e5b9) & s.mask
	x ^= x >> s.half
	x = (x + 0x94d049bb133111eb) & s.mask
	return x
}
