package loadgen

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/brianvoe/gofakeit/v7"
)

func TestMixPicksInProportionToWeights(t *testing.T) {
	t.Parallel()
	queries := []Query{{Name: "a", Weight: 1}, {Name: "never", Weight: 0}, {Name: "b", Weight: 2}, {Name: "c", Weight: 7}}
	m := newMix(queries, 42)
	const n = 100_000
	counts := make([]int, len(queries))
	for range n {
		counts[m.pick()]++
	}
	if counts[1] != 0 {
		t.Fatalf("zero-weight query picked %d times", counts[1])
	}
	for i, want := range []float64{0.1, 0, 0.2, 0.7} {
		// 5 standard deviations of a binomial share: flake-free with a fixed seed anyway.
		got, tol := float64(counts[i])/n, 5*math.Sqrt(want*(1-want)/n)
		if math.Abs(got-want) > tol {
			t.Errorf("query %s: share %.4f, want %.2f ± %.4f", queries[i].Name, got, want, tol)
		}
	}
}

func TestMixIsReproducible(t *testing.T) {
	t.Parallel()
	queries := []Query{
		{Name: "a", Weight: 1, Args: []ArgFunc{func(f *gofakeit.Faker) any { return f.IntRange(1, 1000) }}},
		{Name: "b", Weight: 1, Args: []ArgFunc{func(f *gofakeit.Faker) any { return f.Name() }, func(f *gofakeit.Faker) any { return f.Email() }}},
	}
	sequence := func(seed int64) string {
		m := newMix(queries, seed)
		var b strings.Builder
		for range 200 {
			i := m.pick()
			args, err := m.args(i)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&b, i, args)
		}
		return b.String()
	}
	if a, b := sequence(7), sequence(7); a != b {
		t.Fatal("same seed, different sequences")
	}
	if a, b := sequence(7), sequence(8); a == b {
		t.Fatal("different seeds, same sequence")
	}
	if a, b := sequence(0), sequence(0); a != b {
		t.Fatal("seed 0 must be reproducible too")
	}
}

// The query choice must not depend on how much randomness the arguments use.
func TestMixChoiceIndependentOfArguments(t *testing.T) {
	t.Parallel()
	plain := []Query{{Name: "a", Weight: 1}, {Name: "b", Weight: 3}}
	withArgs := []Query{{Name: "a", Weight: 1, Args: []ArgFunc{func(f *gofakeit.Faker) any { return f.Sentence(50) }}}, {Name: "b", Weight: 3}}
	m1, m2 := newMix(plain, 3), newMix(withArgs, 3)
	for n := range 1000 {
		i1, i2 := m1.pick(), m2.pick()
		if _, err := m2.args(i2); err != nil {
			t.Fatal(err)
		}
		if i1 != i2 {
			t.Fatalf("request %d: %d vs %d", n, i1, i2)
		}
	}
}

func TestMixArgumentPanicBecomesError(t *testing.T) {
	t.Parallel()
	m := newMix([]Query{{Name: "a", Weight: 1, Args: []ArgFunc{func(*gofakeit.Faker) any { panic("boom") }}}}, 1)
	args, err := m.args(0)
	if err == nil || !strings.Contains(err.Error(), "boom") || args != nil {
		t.Fatalf("args = %v, err = %v", args, err)
	}
}

func TestStartRejectsInvalidWorkloadWithEveryProblem(t *testing.T) {
	t.Parallel()
	w := Workload{
		Rate: 0,
		Queries: []Query{
			{Name: "q", SQL: "SELECT 1", Weight: -1},
			{Name: "q", Weight: math.NaN(), Args: []ArgFunc{nil}},
		},
	}
	_, err := Start(context.Background(), "postgres://invalid.invalid/none", w)
	if err == nil {
		t.Fatal("Start accepted an invalid workload")
	}
	for _, want := range []string{"name is empty", "rate 0", "connections 0", "duplicate name", "sql is empty", "weight -1", "weight NaN", "argument $1", "sum to zero"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestNewOptionsDefaults(t *testing.T) {
	t.Parallel()
	o := newOptions(Workload{Rate: 400}, []Option{nil, WithPhase(nil), WithPacer(nil), WithRuntimeParams(map[string]string{"lock_timeout": "1s"})})
	if got := o.phase(); got != DefaultPhase {
		t.Errorf("phase = %q", got)
	}
	if o.queueLimit != 24000 {
		t.Errorf("queue limit = %d", o.queueLimit)
	}
	if !reflect.DeepEqual(o.pacer, ConstantPacer{Rate: 400}) {
		t.Errorf("pacer = %#v", o.pacer)
	}
	if o.runtimeParams["lock_timeout"] != "1s" {
		t.Errorf("runtime params = %v", o.runtimeParams)
	}
}
