package rehearse_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/datagen"
	"github.com/rehearse/rehearse/internal/pgtest"
	"github.com/rehearse/rehearse/internal/stmtprofile"
	"github.com/rehearse/rehearse/provider"
	"github.com/rehearse/rehearse/rehearse"
	"github.com/rehearse/rehearse/scenarios"
)

// pgssSettings start the "production" server: pg_stat_statements loaded,
// and fsync on like the rehearsal's server, so that write latencies compare.
var pgssSettings = map[string]string{"shared_preload_libraries": "pg_stat_statements", "pg_stat_statements.max": "10000", "fsync": "on"}

// knownMix is pgbench's three weighted scripts: the "production" traffic
// the profile must recover.
var knownMix = []struct {
	file, script, normalized string
	weight                   int
}{
	{"get_user.sql", "\\set id random(1, 10000)\nSELECT email FROM users WHERE id = :id;\n", "SELECT email FROM users WHERE id = $1", 5},
	{"user_orders.sql", "\\set id random(1, 10000)\nSELECT id, total FROM orders WHERE user_id = :id ORDER BY id LIMIT 10;\n",
		"SELECT id, total FROM orders WHERE user_id = $1 ORDER BY id LIMIT $2", 3},
	{"add_order.sql", "\\set id random(1, 10000)\nINSERT INTO orders (user_id, total) VALUES (:id, 12.50);\n",
		"INSERT INTO orders (user_id, total) VALUES ($1, $2)", 2},
}

const benchSchema = `CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL, status text NOT NULL);
CREATE TABLE orders (id bigserial PRIMARY KEY, user_id bigint NOT NULL REFERENCES users, total numeric(10,2));
CREATE INDEX orders_user_id ON orders (user_id);`

// BenchmarkProfileRecovery drives a "production" database with pgbench's
// known mix at a known rate, profiles it with pg_stat_statements over the
// whole run, and rehearses a scenario whose old code is that profile at
// half the rate: shares and rates recovered, then achieved.
func BenchmarkProfileRecovery(b *testing.B) {
	const rate, seconds = 300, 30
	ctx := context.Background()
	prod := pgtest.NewDBWith(b, pgssSettings)
	pgtest.Exec(b, prod, "CREATE EXTENSION pg_stat_statements;\n"+benchSchema+`
		INSERT INTO users (email, status) SELECT 'u' || g || '@example.com', (ARRAY['new','paid','gone'])[1 + g % 3] FROM generate_series(1, 10000) g;
		INSERT INTO orders (user_id, total) SELECT 1 + g % 10000, g % 500 FROM generate_series(1, 50000) g;
		ANALYZE users; ANALYZE orders;`)
	dir := b.TempDir()
	args := []string{"-n", "-M", "simple", "-R", strconv.Itoa(rate), "-T", strconv.Itoa(seconds), "-c", "4", "-j", "2", "-r"}
	for _, m := range knownMix {
		if err := os.WriteFile(filepath.Join(dir, m.file), []byte(m.script), 0o644); err != nil {
			b.Fatal(err)
		}
		args = append(args, "-f", filepath.Join(dir, m.file)+"@"+strconv.Itoa(m.weight))
	}
	conn := pgtest.Connect(b, prod)
	var pgbenchOut []byte
	runPgbench := func(ctx context.Context) error {
		var err error
		pgbenchOut, err = exec.CommandContext(ctx, pgbenchPath(b), append(args, prod)...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("pgbench: %v\n%s", err, pgbenchOut)
		}
		return nil
	}
	b.ResetTimer()
	c, err := stmtprofile.Read(ctx, conn, []string{"users", "orders"}, stmtprofile.WithWait(runPgbench))
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	executed := pgbenchCounts(b, string(pgbenchOut))
	total := 0.0
	for _, st := range c.Statements {
		total += st.CallsPerS
	}
	b.Logf("window %.2f s; profile total %.2f calls/s against -R %d (%+.2f%%); pgbench ran %d transactions (%.2f/s over the window)",
		c.Window.Seconds, total, rate, pct(total, rate), sum(executed), float64(sum(executed))/c.Window.Seconds)
	b.Logf("| statement | weight share | pgbench ran | profile share | vs weight (pp) | profile calls = pgbench count |")
	for i, m := range knownMix {
		st := find(c.Statements, m.normalized)
		if st == nil {
			b.Fatalf("profile lacks %q: %+v", m.normalized, c.Statements)
		}
		share := st.CallsPerS / total
		calls := math.Round(st.CallsPerS * c.Window.Seconds)
		b.Logf("| %s | %.1f%% | %d | %.2f%% | %+.2f | %v |", m.file, float64(m.weight)*10, executed[i], 100*share, 100*share-float64(m.weight)*10, int(calls) == executed[i])
		b.ReportMetric(100*share-float64(m.weight)*10, strings.TrimSuffix(m.file, ".sql")+"_share_pp")
	}
	b.ReportMetric(pct(total, rate), "total_rate_%")

	// The rehearsal driven from that profile, at half the rate.
	prof, err := datagen.ReadProfile(ctx, conn, datagen.ProfileTables("users", "orders"))
	if err != nil {
		b.Fatal(err)
	}
	prof.StatementsWindow, prof.Statements = &c.Window, c.Statements
	raw, _ := json.Marshal(prof)
	if err := os.WriteFile(filepath.Join(dir, "prod.json"), raw, 0o600); err != nil {
		b.Fatal(err)
	}
	scenario := fmt.Sprintf(`name: profile recovery
postgres: {settings: {shared_preload_libraries: pg_stat_statements}}
schema:
  sql: |
%s
data: {profile: prod.json, scale: 1}
traffic:
  old: {connections: 8, from_profile: {file: prod.json, scale: 0.5}}
migration:
  steps: [{name: noop, sql: "SELECT 1"}]
phases: {baseline: 20s, cooldown: 1s}
`, indent(benchSchema, "    "))
	if err := os.WriteFile(filepath.Join(dir, "s.yaml"), []byte(scenario), 0o644); err != nil {
		b.Fatal(err)
	}
	sc, err := scenarios.Load(filepath.Join(dir, "s.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	res, err := rehearse.Run(ctx, sc, rehearse.WithProvider(provider.NewLocal()))
	if err != nil {
		b.Fatal(err)
	}
	if len(res.Workloads) != 1 {
		b.Fatalf("workloads %+v (%s)", res.Workloads, res.Error)
	}
	w := res.Workloads[0]
	baseline := w.ByPhase["baseline"]
	b.Logf("rehearsal: target %.2f/s (profile × 0.5), achieved %.2f/s over the run (%+.2f%%), %d requests in the 20 s baseline",
		w.TargetRate, w.AchievedRate, pct(w.AchievedRate, w.TargetRate), baseline.Count)
	latency := pgbenchLatencies(b, string(pgbenchOut))
	profiledSQL := map[string]string{}
	for _, q := range sc.Traffic.Old.Queries {
		if q.Profiled != nil {
			profiledSQL[q.Name] = q.Profiled.Query
		}
	}
	b.Logf("| statement | asked/s | baseline/s | production exec mean ms | rehearsal exec mean ms | pgbench mean latency ms | baseline p50 ms | p99 ms | errors | vs prod |")
	for _, q := range w.Queries {
		p := q.Production
		if p == nil {
			continue
		}
		bp := q.ByPhase["baseline"]
		b.Logf("| %s | %.2f | %.2f | %.3f | %.3f | %.3f | %.3f | %.3f | %d | %.1f× %s %s |", q.Name, p.TargetCallsPerS, p.BaselineCallsPerS, p.MeanMS,
			p.ServerMeanMS, latency[profiledSQL[q.Name]], bp.P50MS, bp.P99MS, q.Errors, p.LatencyRatio, p.Basis, p.Flag)
	}
	b.ReportMetric(pct(w.AchievedRate, w.TargetRate), "rehearsal_rate_%")
}

// BenchmarkProfileSnapshot times the two reads of pg_stat_statements (and
// the parse of every statement) with 5,000 distinct statements in it.
func BenchmarkProfileSnapshot(b *testing.B) {
	ctx := context.Background()
	dsn := pgtest.NewDBWith(b, pgssSettings)
	var cols []string
	for i := range 100 {
		cols = append(cols, fmt.Sprintf("c%d int", i))
	}
	pgtest.Exec(b, dsn, "CREATE EXTENSION pg_stat_statements; CREATE TABLE wide ("+strings.Join(cols, ", ")+"); SELECT pg_stat_statements_reset();")
	app := pgtest.Connect(b, dsn)
	runAll := func(ctx context.Context) error {
		batch := &pgx.Batch{}
		for i := range 5000 {
			batch.Queue(fmt.Sprintf("SELECT 1 FROM wide WHERE c%d = 1 AND c%d = 2", i/50, 50+i%50))
		}
		return app.SendBatch(ctx, batch).Close()
	}
	if err := runAll(ctx); err != nil {
		b.Fatal(err)
	}
	conn := pgtest.Connect(b, dsn)
	var entries int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_stat_statements").Scan(&entries); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var (
		c        *stmtprofile.Capture
		overhead time.Duration
	)
	for range b.N {
		var waited time.Duration
		wait := func(ctx context.Context) error { // the application's traffic: not the profiler's cost
			start := time.Now()
			defer func() { waited = time.Since(start) }()
			return runAll(ctx)
		}
		start := time.Now()
		var err error
		c, err = stmtprofile.Read(ctx, conn, []string{"wide"}, stmtprofile.WithWait(wait), stmtprofile.WithTop(10_000))
		if err != nil {
			b.Fatal(err)
		}
		overhead += time.Since(start) - waited
	}
	per := overhead / time.Duration(b.N)
	b.StopTimer()
	one := time.Now()
	if _, err := conn.Exec(ctx, "SELECT queryid, query, calls, total_exec_time, stddev_exec_time, rows FROM pg_stat_statements"); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d entries in pg_stat_statements; Read without the window (two reads, parse and filter of %d statements) %.1f ms; one server read %.1f ms",
		entries, len(c.Statements), float64(per)/1e6, float64(time.Since(one))/1e6)
	b.ReportMetric(float64(per)/1e6, "read_ms")
}

func pgbenchPath(tb testing.TB) string {
	dir, err := provider.FindBinDir("")
	if err != nil {
		tb.Fatalf("find PostgreSQL binaries: %v", err)
	}
	return filepath.Join(dir.Path, "pgbench")
}

var scriptCount = regexp.MustCompile(`SQL script \d+: .*\n(?:.*\n)*? - (\d+) transactions`)

// pgbenchCounts reads the transactions pgbench ran per script from its
// summary.
func pgbenchCounts(tb testing.TB, out string) []int {
	var counts []int
	for _, m := range scriptCount.FindAllStringSubmatch(out, -1) {
		n, _ := strconv.Atoi(m[1])
		counts = append(counts, n)
	}
	if len(counts) != len(knownMix) {
		tb.Fatalf("pgbench summary without per-script counts:\n%s", out)
	}
	return counts
}

var commandLatency = regexp.MustCompile(`(?m)^\s+([0-9.]+)\s+(?:\d+\s+)?((?:SELECT|INSERT) .*)$`)

// pgbenchLatencies reads -r's average latency of each script's statement,
// by the statement's normalized text (the scripts print in order).
func pgbenchLatencies(tb testing.TB, out string) map[string]float64 {
	ms := commandLatency.FindAllStringSubmatch(out, -1)
	if len(ms) != len(knownMix) {
		tb.Logf("pgbench -r: %d statement latencies, want %d", len(ms), len(knownMix))
		return nil
	}
	lat := map[string]float64{}
	for i, m := range ms {
		x, _ := strconv.ParseFloat(m[1], 64)
		lat[knownMix[i].normalized] = x
	}
	return lat
}

func find(stmts []scenarios.ProfileStatement, q string) *scenarios.ProfileStatement {
	for i := range stmts {
		if stmts[i].Query == q {
			return &stmts[i]
		}
	}
	return nil
}

func sum(xs []int) int {
	t := 0
	for _, x := range xs {
		t += x
	}
	return t
}

func pct(got, want float64) float64 { return (got - want) / want * 100 }

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}
