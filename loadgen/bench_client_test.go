package loadgen

import (
	"context"
	"testing"
	"time"

	"github.com/rehearse/rehearse/internal/pgtest"
)

// BenchmarkProtocols is BenchmarkClosedLoop per client protocol, on a query
// with an argument (compare `pgbench -M prepared|simple`), and for a
// two-statement transaction through the cache.
func BenchmarkProtocols(b *testing.B) {
	dsn := pgtest.NewDB(b)
	pgtest.Exec(b, dsn, `CREATE TABLE t (id int PRIMARY KEY, v text NOT NULL);
		INSERT INTO t SELECT g, 'row ' || g FROM generate_series(1, 100) g`)
	get := Query{Name: "get", SQL: "SELECT v FROM t WHERE id = $1", Weight: 1, Args: []ArgFunc{idArg}}
	tx := Query{Name: "tx", Weight: 1, Args: []ArgFunc{idArg}, Statements: []Statement{
		{Name: "read", SQL: "SELECT v FROM t WHERE id = $1", Args: []int{0}},
		{Name: "again", SQL: "SELECT v FROM t WHERE id = $1", Args: []int{0}},
	}}
	for _, bc := range []struct {
		name  string
		proto Protocol
		q     Query
	}{{"cached", ProtocolCached, get}, {"prepared", ProtocolPrepared, get}, {"simple", ProtocolSimple, get}, {"cached-tx", ProtocolCached, tx}} {
		b.Run(bc.name, func(b *testing.B) {
			allAtOnce := PacerFunc(func(uint64) (time.Duration, bool) { return 0, true })
			r, err := Start(context.Background(), dsn, Workload{Name: "bench", Rate: 1e6, Connections: 8, Protocol: bc.proto,
				Queries: []Query{bc.q}}, WithPacer(allAtOnce), WithMaxRequests(uint64(b.N)), WithQueueLimit(b.N))
			if err != nil {
				b.Fatal(err)
			}
			began := time.Now()
			b.ResetTimer()
			<-r.Done()
			elapsed := time.Since(began)
			b.StopTimer()
			r.Stop(context.Background())
			if s := r.Stats(); s.Completed != int64(b.N) || s.Errors != 0 {
				b.Fatalf("stats %+v", s)
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
		})
	}
}
