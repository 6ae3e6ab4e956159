package rehearse_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/rehearse/rehearse/provider"
	"github.com/rehearse/rehearse/rehearse"
	"github.com/rehearse/rehearse/scenarios"
)

// cacheBenchScenario is datagen's three-table benchmark (users, orders
// with a foreign key to users, order_items with one to orders; a unique
// email, CHECK constraints, secondary indexes) as a scenario whose traffic
// and migration do nothing: what is measured is the time to a
// rehearsal-ready dataset. %d are the row counts.
const cacheBenchScenario = `
name: dataset cache benchmark
schema:
  sql: |
    CREATE TABLE users (
      id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      name       text NOT NULL,
      email      text,
      created_at timestamptz NOT NULL,
      country    text,
      balance    numeric(12,2));
    CREATE UNIQUE INDEX users_email ON users (email);
    CREATE TABLE orders (
      id         bigserial PRIMARY KEY,
      user_id    bigint NOT NULL REFERENCES users(id),
      status     text NOT NULL CHECK (status IN ('new', 'paid', 'shipped', 'cancelled')),
      total      numeric(12,2) NOT NULL CHECK (total >= 0),
      placed_at  timestamptz NOT NULL);
    CREATE INDEX orders_user ON orders (user_id);
    CREATE INDEX orders_placed ON orders (placed_at);
    CREATE TABLE order_items (
      id         bigserial PRIMARY KEY,
      order_id   bigint NOT NULL REFERENCES orders(id),
      sku        text NOT NULL,
      quantity   integer NOT NULL CHECK (quantity > 0),
      price      numeric(10,2) NOT NULL);
    CREATE INDEX order_items_order ON order_items (order_id);
data:
  seed: 1
  tables:
    users: {rows: %d, columns: {name: {gen: name}, email: {gen: email}, country: {gen: country}}}
    orders: {rows: %d, columns: {user_id: {ref: users.id, dist: zipf}, placed_at: {gen: date, dist: recent}}}
    order_items: {rows: %d}
traffic:
  old: {rate: 1, connections: 1, queries: [{name: noop, sql: "SELECT 1"}]}
migration:
  steps: [{name: noop, sql: "SELECT 1"}]
phases: {baseline: 0s, cooldown: 0s}
`

// The rows of the benchmark: 400,000 in all for make bench;
// REHEARSE_BENCH_SCALE=25 gives the 10,000,000 of docs/benchmarks.md.
const cacheBenchUsers, cacheBenchOrders, cacheBenchItems = 40_000, 160_000, 200_000

var (
	savedLine = regexp.MustCompile(`dataset cache: saved (\S+ \S+) in (\S+)`)
	barLine   = regexp.MustCompile(`(?m)^.*rows \(\d+%\).*\n`)
)

// withoutBars drops datagen's progress lines (rows, %, rows/s).
func withoutBars(progress string) string { return barLine.ReplaceAllString(progress, "") }

// BenchmarkDatasetCache measures the time from the start of a rehearsal
// to its first traffic (server started, schema, data loaded, indexed,
// validated, vacuumed, analysed and checkpointed: rehearsal-ready) on the
// local provider with the dataset cache: first with an empty cache (which
// then saves the dataset, included in its time), then again, starting on a
// copy of the saved dataset. The server runs with the defaults a scenario
// gets (fsync on).
func BenchmarkDatasetCache(b *testing.B) {
	scale := int64(1)
	if s := os.Getenv("REHEARSE_BENCH_SCALE"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 {
			b.Fatalf("REHEARSE_BENCH_SCALE=%q: want a positive integer", s)
		}
		scale = n
	}
	users, orders, items := cacheBenchUsers*scale, cacheBenchOrders*scale, cacheBenchItems*scale
	sc, err := scenarios.Parse(fmt.Appendf(nil, cacheBenchScenario, users, orders, items), "")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		dir := b.TempDir()
		first, firstOut := readyTime(b, sc, dir)
		cached, cachedOut := readyTime(b, sc, dir)
		save := savedLine.FindStringSubmatch(firstOut)
		if save == nil {
			b.Fatalf("the first run did not save the dataset:\n%s", firstOut)
		}
		saveTime, _ := time.ParseDuration(save[2])
		b.ReportMetric(first.Seconds(), "first_ready_s")
		b.ReportMetric(saveTime.Seconds(), "first_save_s")
		b.ReportMetric(cached.Seconds(), "cached_ready_s")
		b.ReportMetric(first.Seconds()/cached.Seconds(), "speedup")
		b.Logf("%d rows: first run ready in %s (saving %s took %s), cached run ready in %s: %.1fx\n%s\n%s",
			users+orders+items, first.Round(time.Millisecond), save[1], saveTime, cached.Round(time.Millisecond),
			first.Seconds()/cached.Seconds(), withoutBars(firstOut), withoutBars(cachedOut))
	}
}

// readyTime rehearses sc with the cache in dir and returns the time from
// the start to the first traffic, and the progress lines.
func readyTime(b *testing.B, sc *scenarios.Scenario, dir string) (time.Duration, string) {
	b.Helper()
	var progress bytes.Buffer
	res, err := rehearse.Run(context.Background(), sc, rehearse.WithProvider(provider.NewLocal()),
		rehearse.WithProgress(&progress, false), rehearse.WithCache(dir))
	if err != nil {
		b.Fatalf("rehearse: %v\n%s", err, progress.String())
	}
	return res.TrafficStartedAt.Sub(res.StartedAt), progress.String()
}
