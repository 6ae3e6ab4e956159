package datagen

import (
	"hash/fnv"
	"math/bits"
	"math/rand/v2"

	"github.com/brianvoe/gofakeit/v7"
)

// SeededFaker returns a Faker whose stream depends only on (seed, stream, n):
// Load uses (data seed, table name, chunk index); loadgen may use (data seed,
// "workload/query", worker index). The Faker is not safe for concurrent use:
// give each goroutine its own.
func SeededFaker(seed int64, stream string, n int64) *gofakeit.Faker {
	h := fnv.New64a()
	h.Write([]byte(stream))
	s1 := mix(uint64(seed) ^ mix(h.Sum64()))
	s2 := mix(s1 ^ mix(uint64(n)+0x9e3779b97f4a7c15))
	// Unlocked: a chunk's Faker is only ever used by the goroutine that
	// generates that chunk, and locking costs a mutex per random number.
	return gofakeit.NewFaker(rand.NewPCG(s1, s2), false)
}

// mix is the splitmix64 finaliser: it spreads nearby inputs (chunk 1, 2, 3)
// over unrelated seeds.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// uniformN returns a uniform integer in [0, n) for n > 0 (Lemire's method:
// no modulo bias, rarely more than one draw).
func uniformN(f *gofakeit.Faker, n uint64) uint64 {
	hi, lo := bits.Mul64(f.Uint64(), n)
	if lo < n {
		threshold := -n % n
		for lo < threshold {
			hi, lo = bits.Mul64(f.Uint64(), n)
		}
	}
	return hi
}

// uniformInt returns a uniform integer in [lo, hi]; lo <= hi.
func uniformInt(f *gofakeit.Faker, lo, hi int64) int64 {
	span := uint64(hi) - uint64(lo) + 1
	if span == 0 { // the whole int64 range
		return int64(f.Uint64())
	}
	return lo + int64(uniformN(f, span))
}
