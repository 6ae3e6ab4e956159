package datagen

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/internal/pgtest"
	"github.com/rehearse/rehearse/scenarios"
)

// The benchmarks are sized for `make bench` (a few seconds each). The full
// sizes of docs/benchmarks.md are set with REHEARSE_BENCH_SCALE: the row
// counts are multiplied by it (25 gives 5,000,000 users and 10,000,000 rows
// over three tables).
const (
	benchUsers = 200_000
	// bench3 are the rows of the three-table benchmark: 400,000 in all.
	bench3Users, bench3Orders, bench3Items = 40_000, 160_000, 200_000
)

func benchScale(b *testing.B) int64 {
	s := os.Getenv("REHEARSE_BENCH_SCALE")
	if s == "" {
		return 1
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 {
		b.Fatalf("REHEARSE_BENCH_SCALE=%q: want a positive integer", s)
	}
	return n
}

const benchUsersSchema = `CREATE TABLE users (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name       text NOT NULL,
  email      text,
  created_at timestamptz NOT NULL,
  country    text,
  balance    numeric(12,2))`

// benchRounds is how many times a benchmark repeats its measurements,
// keeping the best of each (REHEARSE_BENCH_ROUNDS, default 1): on a shared
// machine, the best of a few rounds is the least disturbed.
func benchRounds(b *testing.B) int {
	s := os.Getenv("REHEARSE_BENCH_ROUNDS")
	if s == "" {
		return 1
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		b.Fatalf("REHEARSE_BENCH_ROUNDS=%q: want a positive integer", s)
	}
	return n
}

// BenchmarkUsersVersusServerCopy loads a six-column users table with Load
// (no VACUUM or ANALYZE: rows and primary key only), then writes the same
// rows to a file on the server and loads them again with a server-side
// COPY FROM that file: the ceiling of any client-side loader. The ceiling is
// measured twice: into the table with its primary key in place (plain
// COPY), and with the key built after the COPY (what Load does); Load is
// also measured keeping the primary key during the load. Each round
// starts from an empty table after a CHECKPOINT; the best round of each
// counts. It reports the rates and datagen's ratio to each ceiling
// (target: ≥ 0.8 of the plain COPY).
func BenchmarkUsersVersusServerCopy(b *testing.B) {
	rows := benchUsers * benchScale(b)
	data := scenarios.Data{Seed: 1, Vacuum: VacuumNone, Analyze: new(bool), Tables: map[string]*scenarios.Table{
		"users": {Rows: scenarios.Count(rows), Columns: map[string]*scenarios.ValueSpec{
			"name":       {Gen: "name"},
			"email":      {Gen: "email"},
			"created_at": {Gen: "date"},
			"country":    {Gen: "country"},
			"balance":    {Gen: "price", Max: ptr(10_000)},
		}},
	}}
	for b.Loop() {
		b.StopTimer()
		ctx := context.Background()
		dsn := pgtest.NewDB(b)
		pgtest.Exec(b, dsn, benchUsersSchema)
		conn := pgtest.Connect(b, dsn)
		// The server runs as its own user: its data directory is where it
		// surely can write and read.
		var dir string
		if err := conn.QueryRow(ctx, "SHOW data_directory").Scan(&dir); err != nil {
			b.Fatal(err)
		}
		file := fmt.Sprintf("%s/rehearse_bench_users_%d.copy", dir, time.Now().UnixNano())
		best := map[string]time.Duration{}
		keep := func(name string, d time.Duration) {
			if old, ok := best[name]; !ok || d < old {
				best[name] = d
			}
		}
		timed := func(sqls ...string) time.Duration {
			start := time.Now()
			for _, sql := range sqls {
				mustExec(b, conn, sql)
			}
			return time.Since(start)
		}
		for round := range benchRounds(b) {
			mustExec(b, conn, "TRUNCATE users")
			mustExec(b, conn, "CHECKPOINT")
			start := time.Now()
			if _, err := Load(ctx, dsn, data, nil); err != nil {
				b.Fatal(err)
			}
			keep("datagen", time.Since(start))
			mustExec(b, conn, "TRUNCATE users")
			mustExec(b, conn, "CHECKPOINT")
			start = time.Now()
			if _, err := Load(ctx, dsn, data, nil, func(o *options) { o.keepPK = true }); err != nil {
				b.Fatal(err)
			}
			keep("datagen_keep_pk", time.Since(start))
			if round == 0 {
				mustExec(b, conn, fmt.Sprintf("COPY users TO '%s'", file))
			}
			mustExec(b, conn, "TRUNCATE users")
			mustExec(b, conn, "CHECKPOINT")
			keep("copy", timed(fmt.Sprintf("COPY users FROM '%s'", file)))
			mustExec(b, conn, "ALTER TABLE users DROP CONSTRAINT users_pkey")
			mustExec(b, conn, "TRUNCATE users")
			mustExec(b, conn, "CHECKPOINT")
			keep("copy_pk_after", timed(fmt.Sprintf("COPY users FROM '%s'", file), "ALTER TABLE users ADD PRIMARY KEY (id)"))
		}
		mustExec(b, conn, fmt.Sprintf("COPY (SELECT 1) TO PROGRAM 'rm -f %s'", file))
		b.ReportMetric(float64(rows)/best["datagen"].Seconds(), "datagen_rows/s")
		b.ReportMetric(float64(rows)/best["datagen_keep_pk"].Seconds(), "datagen_keep_pk_rows/s")
		b.ReportMetric(float64(rows)/best["copy"].Seconds(), "server_copy_rows/s")
		b.ReportMetric(float64(rows)/best["copy_pk_after"].Seconds(), "server_copy_pk_after_rows/s")
		b.ReportMetric(best["copy"].Seconds()/best["datagen"].Seconds(), "ratio_to_copy")
		b.ReportMetric(best["copy_pk_after"].Seconds()/best["datagen"].Seconds(), "ratio_to_copy_pk_after")
		b.StartTimer()
	}
}

func mustExec(b *testing.B, conn *pgx.Conn, sql string) {
	b.Helper()
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		b.Fatalf("%s: %v", sql, err)
	}
}

const bench3Schema = benchUsersSchema + `;
CREATE UNIQUE INDEX users_email ON users (email);
CREATE TABLE orders (
  id         bigserial PRIMARY KEY,
  user_id    bigint NOT NULL REFERENCES users(id),
  status     text NOT NULL CHECK (status IN ('new', 'paid', 'shipped', 'cancelled')),
  total      numeric(12,2) NOT NULL CHECK (total >= 0),
  placed_at  timestamptz NOT NULL
);
CREATE INDEX orders_user ON orders (user_id);
CREATE INDEX orders_placed ON orders (placed_at);
CREATE TABLE order_items (
  id         bigserial PRIMARY KEY,
  order_id   bigint NOT NULL REFERENCES orders(id),
  sku        text NOT NULL,
  quantity   integer NOT NULL CHECK (quantity > 0),
  price      numeric(10,2) NOT NULL
);
CREATE INDEX order_items_order ON order_items (order_id);`

// BenchmarkRehearsalReady3Tables measures the time from an empty schema to
// a rehearsal-ready data set (rows loaded, indexes built, foreign keys and
// CHECK constraints validated, VACUUM (FREEZE) and ANALYZE) over three
// related tables, at the full size and at a tenth of it, and the
// generator's peak memory in each: the Go heap sampled every 10 ms and the
// process's peak resident set (VmHWM, reset before the load where the
// kernel allows it). Flat memory between the two sizes is the point.
func BenchmarkRehearsalReady3Tables(b *testing.B) {
	scale := benchScale(b)
	for _, div := range []int64{10, 1} {
		users, orders, items := bench3Users*scale/div, bench3Orders*scale/div, bench3Items*scale/div
		b.Run(fmt.Sprintf("rows=%d", users+orders+items), func(b *testing.B) {
			bench3(b, users, orders, items)
		})
	}
}

func bench3(b *testing.B, users, orders, items int64) {
	data := scenarios.Data{Seed: 1, Tables: map[string]*scenarios.Table{
		"users": {Rows: scenarios.Count(users), Columns: map[string]*scenarios.ValueSpec{
			"name": {Gen: "name"}, "email": {Gen: "email"}, "country": {Gen: "country"},
		}},
		"orders": {Rows: scenarios.Count(orders), Columns: map[string]*scenarios.ValueSpec{
			"user_id":   {Ref: "users.id", Dist: DistZipf},
			"placed_at": {Gen: "date", Dist: DistRecent},
		}},
		"order_items": {Rows: scenarios.Count(items)},
	}}
	total := users + orders + items
	for b.Loop() {
		b.StopTimer()
		dsn := pgtest.NewDB(b)
		pgtest.Exec(b, dsn, bench3Schema)
		pgtest.Exec(b, dsn, "CHECKPOINT")
		runtime.GC()
		resetPeakRSS()
		stop := sampleHeap()
		b.StartTimer()
		start := time.Now()
		if _, err := Load(context.Background(), dsn, data, nil); err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		b.StopTimer()
		heap := stop()
		b.ReportMetric(elapsed.Seconds(), "s_to_ready")
		b.ReportMetric(float64(total)/elapsed.Seconds(), "rows/s")
		b.ReportMetric(float64(heap)/(1<<20), "peak_heap_MiB")
		if rss, ok := peakRSS(); ok {
			b.ReportMetric(float64(rss)/(1<<20), "peak_rss_MiB")
		}
		b.StartTimer()
	}
}

// sampleHeap samples the heap in use every 10 ms until the returned
// function is called, which returns the largest sample.
func sampleHeap() func() uint64 {
	done := make(chan struct{})
	var peak uint64
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak
	}
}

// resetPeakRSS resets VmHWM (Linux: writing 5 to clear_refs).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS reads VmHWM, the process's peak resident set, in bytes.
func peakRSS() (uint64, bool) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}
