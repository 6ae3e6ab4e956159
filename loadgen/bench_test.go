package loadgen

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/internal/pgtest"
)

// BenchmarkClosedLoop measures the generator's maximum throughput: b.N
// requests of SELECT 1, all due at once, on 8 connections, so every worker
// is always busy (compare `pgbench -n -M prepared -c 8 -f select1.sql`).
func BenchmarkClosedLoop(b *testing.B) {
	dsn := pgtest.NewDB(b)
	allAtOnce := PacerFunc(func(uint64) (time.Duration, bool) { return 0, true })
	r, err := Start(context.Background(), dsn, Workload{
		Name: "bench", Rate: 1e6, Connections: 8,
		Queries: []Query{{Name: "select1", SQL: "SELECT 1", Weight: 1}},
	}, WithPacer(allAtOnce), WithMaxRequests(uint64(b.N)), WithQueueLimit(b.N))
	if err != nil {
		b.Fatal(err)
	}
	began := time.Now()
	b.ResetTimer()
	<-r.Done()
	elapsed := time.Since(began)
	b.StopTimer()
	r.Stop(context.Background())
	s := r.Stats()
	if s.Completed != int64(b.N) || s.Errors != 0 {
		b.Fatalf("stats %+v", s)
	}
	b.ReportMetric(float64(s.Completed)/elapsed.Seconds(), "q/s")
	b.ReportMetric(s.Service["select1"].P50MS, "p50-service-ms")
}

// BenchmarkRawPgx is the baseline of BenchmarkClosedLoop: the same queries on
// 8 bare pgx connections, without pacing, queueing or recording.
func BenchmarkRawPgx(b *testing.B) {
	dsn := pgtest.NewDB(b)
	ctx := context.Background()
	conns := make([]*pgx.Conn, 8)
	for i := range conns {
		conns[i] = pgtest.Connect(b, dsn)
	}
	var left atomic.Int64
	left.Store(int64(b.N))
	var wg sync.WaitGroup
	began := time.Now()
	b.ResetTimer()
	for _, c := range conns {
		wg.Go(func() {
			for left.Add(-1) >= 0 {
				rows, err := c.Query(ctx, "SELECT 1")
				if err == nil {
					rows.Close()
					err = rows.Err()
				}
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(began).Seconds(), "q/s")
}
