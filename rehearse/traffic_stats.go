package rehearse

import (
	"context"
	"errors"

	"github.com/brianvoe/gofakeit/v7"
	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/datagen"
	"github.com/rehearse/rehearse/loadgen"
	"github.com/rehearse/rehearse/scenarios"
)

// argCompiler compiles query arguments: datagen's generators, and dist:
// stats, which reads the rehearsal database's pg_stats of the column once
// per ref (after the load's ANALYZE).
type argCompiler struct {
	ctx   context.Context
	conn  *pgx.Conn
	keys  datagen.KeySource
	stats map[string]*datagen.StatsDist
}

func newArgCompiler(ctx context.Context, conn *pgx.Conn, keys datagen.KeySource) *argCompiler {
	return &argCompiler{ctx: ctx, conn: conn, keys: keys, stats: map[string]*datagen.StatsDist{}}
}

// compile returns arg's generator. A column without statistics (never
// analysed, or empty) falls back to its keys, drawn uniformly.
func (a *argCompiler) compile(arg *scenarios.ValueSpec) (loadgen.ArgFunc, error) {
	if arg == nil || arg.Dist != scenarios.DistStats {
		f, err := datagen.Compile(arg, a.keys)
		return loadgen.ArgFunc(f), err
	}
	d, err := a.statsOf(arg.Ref)
	switch {
	case errors.Is(err, datagen.ErrNoStats):
		return a.uniform(arg)
	case err != nil:
		return nil, err
	}
	if n := arg.Array; n > 0 {
		return func(f *gofakeit.Faker) any { return d.PickArray(f, n) }, nil
	}
	return d.Pick, nil
}

func (a *argCompiler) statsOf(ref string) (*datagen.StatsDist, error) {
	if d := a.stats[ref]; d != nil {
		return d, nil
	}
	d, err := datagen.LoadStatsDist(a.ctx, a.conn, ref)
	if err != nil {
		return nil, err
	}
	a.stats[ref] = d
	return d, nil
}

func (a *argCompiler) uniform(arg *scenarios.ValueSpec) (loadgen.ArgFunc, error) {
	f, err := datagen.Compile(&scenarios.ValueSpec{Ref: arg.Ref, NullRatio: arg.NullRatio}, a.keys)
	if err != nil || arg.Array == 0 {
		return loadgen.ArgFunc(f), err
	}
	n := arg.Array
	return func(fk *gofakeit.Faker) any {
		out := make([]any, n)
		for i := range out {
			out[i] = f(fk)
		}
		return out
	}, nil
}
