package loadgen

import (
	"fmt"
	"math/rand/v2"
	"sort"

	"github.com/brianvoe/gofakeit/v7"
)

// Stream selectors of the PCG sources: the query choice and the arguments
// draw from separate streams so that adding an argument to one query does not
// change which queries are picked.
const (
	mixStream  = 0x6d6978 // "mix"
	argsStream = 0x61726773
)

// mix picks queries by weight and generates their arguments. It is not safe
// for concurrent use: only the scheduler goroutine owns it.
type mix struct {
	queries []Query
	cum     []float64 // cumulative weights
	last    int       // last query with a positive weight
	rng     *rand.Rand
	faker   *gofakeit.Faker
}

func newMix(queries []Query, seed int64) *mix {
	m := &mix{
		queries: queries,
		cum:     make([]float64, len(queries)),
		rng:     rand.New(rand.NewPCG(uint64(seed), mixStream)),
		faker:   gofakeit.NewFaker(rand.NewPCG(uint64(seed), argsStream), false),
	}
	total := 0.0
	for i, q := range queries {
		total += q.Weight
		m.cum[i] = total
		if q.Weight > 0 {
			m.last = i
		}
	}
	return m
}

// pick returns the index of the next query.
func (m *mix) pick() int {
	r := m.rng.Float64() * m.cum[len(m.cum)-1]
	i := sort.Search(len(m.cum), func(i int) bool { return m.cum[i] > r })
	// Rounding can put r on the total: fall back to the last weighted query.
	return min(i, m.last)
}

// args generates the arguments of query i. A panicking generator fails this
// one request (as a client error) instead of the whole rehearsal.
func (m *mix) args(i int) (args []any, err error) {
	fns := m.queries[i].Args
	if len(fns) == 0 {
		return nil, nil
	}
	defer func() {
		if p := recover(); p != nil {
			args, err = nil, fmt.Errorf("argument generator panicked: %v", p)
		}
	}()
	args = make([]any, len(fns))
	for j, f := range fns {
		args[j] = f(m.faker)
	}
	return args, nil
}
