package datagen

import (
	"context"
	"testing"
	"time"

	"github.com/rehearse/rehearse/rehearse/provider/pgtest"
	"github.com/rehearse/rehearse/scenarios"
)

// benchRows is the size of the table of one benchmark iteration: large enough
// for every connection to load several chunks.
const benchRows = 200_000

// BenchmarkLoadUsers measures Load end to end (generation, COPY, sequence,
// ANALYZE) on a six-column users table; see the rows/s metric.
func BenchmarkLoadUsers(b *testing.B) {
	data := scenarios.Data{Seed: 1, Tables: map[string]*scenarios.Table{
		"users": {Rows: benchRows, Columns: map[string]*scenarios.ValueSpec{
			"name":       {Gen: "name"},
			"email":      {Gen: "email"},
			"created_at": {Gen: "date"},
			"country":    {Gen: "country"},
			"balance":    {Gen: "price", Max: ptr(10_000)},
		}},
	}}
	var loading time.Duration
	loads := 0
	for b.Loop() {
		b.StopTimer()
		dsn := pgtest.NewDB(b)
		pgtest.Exec(b, dsn, `CREATE TABLE users (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name       text NOT NULL,
  email      text,
  created_at timestamptz NOT NULL,
  country    text,
  balance    numeric(12,2))`)
		b.StartTimer()
		start := time.Now()
		if _, err := Load(context.Background(), dsn, data, []string{"users"}); err != nil {
			b.Fatal(err)
		}
		loading += time.Since(start)
		loads++
	}
	b.ReportMetric(float64(benchRows*loads)/loading.Seconds(), "rows/s")
}
