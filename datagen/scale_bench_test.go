package datagen

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/provider"
	"github.com/rehearse/rehearse/scenarios"
)

// scaleSchema is a parent with the six columns of benchUsersSchema and a
// child with a foreign key to it: the shape of the 100M-row benchmark.
const scaleSchema = benchUsersSchema + `;
CREATE TABLE orders (
  id         bigserial PRIMARY KEY,
  user_id    bigint NOT NULL REFERENCES users(id),
  total      numeric(12,2) NOT NULL CHECK (total >= 0),
  placed_at  timestamptz NOT NULL
);
CREATE INDEX orders_user ON orders (user_id)`

// scaleBare is scaleSchema without keys, indexes or constraints, and
// scalePost what the ceiling adds after its COPY: the work Load does after
// its rows, as plain SQL on one session.
const (
	scaleBare = `CREATE TABLE users (
  id bigint GENERATED ALWAYS AS IDENTITY, name text NOT NULL, email text,
  created_at timestamptz NOT NULL, country text, balance numeric(12,2));
CREATE TABLE orders (id bigserial, user_id bigint NOT NULL, total numeric(12,2) NOT NULL, placed_at timestamptz NOT NULL)`
	scalePost = `ALTER TABLE users ADD PRIMARY KEY (id);
ALTER TABLE orders ADD PRIMARY KEY (id);
CREATE INDEX orders_user ON orders (user_id);
ALTER TABLE orders ADD CHECK (total >= 0);
ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users(id)`
)

// BenchmarkScaleLoad is the 100M-row benchmark of docs/benchmarks.md.
// REHEARSE_BENCH_ROWS parent rows (default 200,000) plus a fifth as many
// child rows with a foreign key are loaded by Load into a server of the
// local provider with its rehearsal defaults (fsync on), with progress
// lines on stderr; then the same rows are written to files on the server
// and loaded back by a server-side COPY FROM into bare tables (the
// ceiling), followed by the same keys, index and constraints and the same
// VACUUM (FREEZE) and ANALYZE. It reports both rates, their ratio, the
// generator's peak heap and RSS, and the database's size on disk. With
// REHEARSE_BENCH_KEEP=DIR, the loaded data directory is saved into
// DIR/rows-N (as the dataset cache does) for BenchmarkCachedStart of the
// provider package. REHEARSE_BENCH_CEILING=0 measures the load alone.
func BenchmarkScaleLoad(b *testing.B) {
	rows := int64(200_000)
	if s := os.Getenv("REHEARSE_BENCH_ROWS"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 {
			b.Fatalf("REHEARSE_BENCH_ROWS=%q: want a positive integer", s)
		}
		rows = n
	}
	children := rows / 5
	data := scenarios.Data{Seed: 1, Tables: map[string]*scenarios.Table{
		"users": {Rows: scenarios.Count(rows), Columns: map[string]*scenarios.ValueSpec{
			"name": {Gen: "name"}, "email": {Gen: "email"}, "created_at": {Gen: "date"},
			"country": {Gen: "country"}, "balance": {Gen: "price", Max: ptr(10_000)},
		}},
		"orders": {Rows: scenarios.Count(children), Columns: map[string]*scenarios.ValueSpec{
			"user_id":   {Ref: "users.id", Dist: DistZipf},
			"placed_at": {Gen: "date", Dist: DistRecent},
		}},
	}}
	for b.Loop() {
		b.StopTimer()
		ctx := context.Background()
		inst, err := provider.NewLocal().Start(ctx, provider.Config{})
		if err != nil {
			b.Fatal(err)
		}
		defer inst.Stop(context.Background())
		conn, err := pgx.Connect(ctx, inst.DSN)
		if err != nil {
			b.Fatal(err)
		}
		mustExec(b, conn, scaleSchema)
		mustExec(b, conn, "CHECKPOINT")
		runtime.GC()
		resetPeakRSS()
		stop := sampleHeap()
		start := time.Now()
		if _, err := Load(ctx, inst.DSN, data, nil, WithProgress(progressOut(), false)); err != nil {
			b.Fatal(err)
		}
		loadTime := time.Since(start)
		heap := stop()
		rss, _ := peakRSS()
		var dbBytes int64
		if err := conn.QueryRow(ctx, "SELECT pg_database_size(current_database())").Scan(&dbBytes); err != nil {
			b.Fatal(err)
		}
		total := float64(rows + children)
		b.ReportMetric(loadTime.Seconds(), "datagen_s")
		b.ReportMetric(total/loadTime.Seconds(), "datagen_rows/s")
		b.ReportMetric(float64(heap)/(1<<20), "peak_heap_MiB")
		b.ReportMetric(float64(rss)/(1<<20), "peak_rss_MiB")
		b.ReportMetric(float64(dbBytes)/(1<<30), "db_GiB")
		if os.Getenv("REHEARSE_BENCH_CEILING") == "0" { // the load alone
			conn.Close(ctx)
			inst.Stop(ctx)
			b.StartTimer()
			continue
		}
		copyTime, postTime := serverCopyCeiling(b, conn)
		b.ReportMetric(copyTime.Seconds(), "copy_s")
		b.ReportMetric(total/copyTime.Seconds(), "server_copy_rows/s")
		b.ReportMetric((copyTime + postTime).Seconds(), "copy_ready_s")
		b.ReportMetric(total/(copyTime+postTime).Seconds(), "server_copy_ready_rows/s")
		b.ReportMetric(copyTime.Seconds()/loadTime.Seconds(), "ratio_to_copy")
		b.ReportMetric((copyTime+postTime).Seconds()/loadTime.Seconds(), "ratio_to_copy_ready")
		conn.Close(ctx)
		if keep := os.Getenv("REHEARSE_BENCH_KEEP"); keep != "" {
			saveScaleSnapshot(b, inst, filepath.Join(keep, fmt.Sprintf("rows-%d", rows+children)))
		}
		if err := inst.Stop(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// progressOut is stderr with -v, else nothing: the load's progress lines
// (with time left) are part of what the 100M-row run shows.
func progressOut() io.Writer {
	if testing.Verbose() {
		return os.Stderr
	}
	return nil
}

// serverCopyCeiling writes the loaded rows to files in the server's data
// directory, replaces the tables by bare ones, and times a server-side
// COPY FROM of the files and then the keys, index, constraints, VACUUM
// (FREEZE) and ANALYZE. The tables end up holding the same rows.
func serverCopyCeiling(b *testing.B, conn *pgx.Conn) (copyTime, postTime time.Duration) {
	ctx := context.Background()
	var dir string
	if err := conn.QueryRow(ctx, "SHOW data_directory").Scan(&dir); err != nil {
		b.Fatal(err)
	}
	files := map[string]string{}
	for _, t := range []string{"users", "orders"} {
		files[t] = fmt.Sprintf("%s/rehearse_scale_%s.copy", dir, t)
		mustExec(b, conn, fmt.Sprintf("COPY %s TO '%s'", t, files[t]))
	}
	mustExec(b, conn, "DROP TABLE orders, users")
	mustExec(b, conn, scaleBare)
	mustExec(b, conn, "CHECKPOINT")
	start := time.Now()
	for _, t := range []string{"users", "orders"} {
		mustExec(b, conn, fmt.Sprintf("COPY %s FROM '%s'", t, files[t]))
	}
	copyTime = time.Since(start)
	start = time.Now()
	mustExec(b, conn, "SET maintenance_work_mem = '256MB'")
	mustExec(b, conn, scalePost)
	mustExec(b, conn, "VACUUM (FREEZE, ANALYZE) users")
	mustExec(b, conn, "VACUUM (FREEZE, ANALYZE) orders")
	postTime = time.Since(start)
	for _, f := range files {
		mustExec(b, conn, fmt.Sprintf("COPY (SELECT 1) TO PROGRAM 'rm -f %s'", f))
	}
	b.Logf("server COPY %s, then keys, constraints, vacuum and analyze %s", copyTime.Round(time.Millisecond), postTime.Round(time.Millisecond))
	return copyTime, postTime
}

// saveScaleSnapshot checkpoints and saves the data directory into dst, as
// the dataset cache does, replacing an older save.
func saveScaleSnapshot(b *testing.B, inst *provider.Instance, dst string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, inst.DSN)
	if err != nil {
		b.Fatal(err)
	}
	mustExec(b, conn, "CHECKPOINT")
	conn.Close(ctx)
	if err := os.RemoveAll(dst); err != nil {
		b.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	n, err := inst.Snapshot(ctx, dst)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("saved %d bytes into %s in %s", n, dst, time.Since(start).Round(time.Millisecond))
	b.ReportMetric(float64(n)/(1<<30), "saved_GiB")
}
