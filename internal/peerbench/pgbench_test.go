package peerbench_test

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/provider"
)

// pgbenchResult is what one pgbench run reported, on its standard output and
// in its per-transaction log (--log).
type pgbenchResult struct {
	// Latencies are of the committed transactions, sorted. With -R pgbench
	// measures them from each transaction's scheduled start, schedule lag
	// included, as loadgen does from a request's due time.
	Latencies []time.Duration
	// Lags are the schedule lags (-R only), sorted.
	Lags []time.Duration
	// Skipped counts transactions logged as skipped (--latency-limit only).
	Skipped int
	// TPS and Processed are as pgbench printed them; TPS excludes the time
	// spent opening connections.
	TPS       float64
	Processed int64
	// Output is pgbench's stdout and stderr (-P progress lines go to stderr).
	Output string
	// CPU is the user and system CPU time pgbench used.
	CPU time.Duration
}

// pgbenchBin is the pgbench of the PostgreSQL installation the throwaway
// cluster runs from, so that both speak the same server version.
func pgbenchBin(tb testing.TB) string {
	tb.Helper()
	dir, err := provider.FindBinDir("")
	if err != nil {
		tb.Fatalf("find PostgreSQL binaries: %v", err)
	}
	bin := filepath.Join(dir.Path, "pgbench")
	if _, err := os.Stat(bin); err != nil {
		tb.Fatalf("pgbench is not installed next to initdb: %v", err)
	}
	return bin
}

// initPgbench creates and fills the pgbench tables at the given scale
// (100 000 pgbench_accounts rows per unit), then reads the accounts table and
// its index into the OS cache (pg_prewarm mode read) so that whichever tool
// runs first does not pay for cold pages.
func initPgbench(tb testing.TB, dsn string, scale int) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, pgbenchBin(tb), "-i", "-q", "-s", strconv.Itoa(scale), dsn)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("pgbench -i -s %d: %v\n%s", scale, err, out)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS pg_prewarm;
		SELECT pg_prewarm('pgbench_accounts', 'read'), pg_prewarm('pgbench_accounts_pkey', 'read')`); err != nil {
		tb.Fatalf("prewarm: %v", err)
	}
}

// writeScript writes a pgbench custom script and returns its path.
func writeScript(tb testing.TB, script string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "script.sql")
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		tb.Fatalf("write pgbench script: %v", err)
	}
	return path
}

// pgbenchCmd prepares pgbench with args against dsn; with logDir set it also
// writes its per-transaction log there. The run is bounded by timeout.
func pgbenchCmd(tb testing.TB, dsn, logDir string, timeout time.Duration, args ...string) (*exec.Cmd, *strings.Builder, context.CancelFunc) {
	tb.Helper()
	if logDir != "" {
		args = append(args, "--log", "--log-prefix="+filepath.Join(logDir, "pgbench_log"))
	}
	args = append(args, dsn)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	cmd := exec.CommandContext(ctx, pgbenchBin(tb), args...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	return cmd, &out, cancel
}

// runPgbench runs pgbench to completion and returns what it reported; with
// logged, it also writes and reads the per-transaction log, which costs
// pgbench CPU time (a line per transaction).
func runPgbench(tb testing.TB, dsn string, logged bool, timeout time.Duration, args ...string) pgbenchResult {
	tb.Helper()
	logDir := ""
	if logged {
		logDir = tb.TempDir()
	}
	cmd, out, cancel := pgbenchCmd(tb, dsn, logDir, timeout, args...)
	defer cancel()
	if err := cmd.Run(); err != nil {
		tb.Fatalf("pgbench %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	res := readPgbench(tb, out.String(), logDir)
	res.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return res
}

// readPgbench parses pgbench's summary and, when logDir is set, the log
// files in it.
func readPgbench(tb testing.TB, output, logDir string) pgbenchResult {
	tb.Helper()
	res := pgbenchResult{Output: output}
	var err error
	if res.TPS, err = parseFloatAfter(output, `tps = `); err != nil {
		tb.Fatalf("pgbench output: %v\n%s", err, output)
	}
	processed, err := parseFloatAfter(output, `number of transactions actually processed: `)
	if err != nil {
		tb.Fatalf("pgbench output: %v\n%s", err, output)
	}
	res.Processed = int64(processed)
	if logDir == "" {
		return res
	}
	files, err := filepath.Glob(filepath.Join(logDir, "pgbench_log.*"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no pgbench log in %s (%v)", logDir, err)
	}
	for _, f := range files {
		if err := readPgbenchLog(f, &res); err != nil {
			tb.Fatal(err)
		}
	}
	if len(res.Latencies) == 0 {
		tb.Fatalf("pgbench logged no committed transaction\n%s", output)
	}
	slices.Sort(res.Latencies)
	slices.Sort(res.Lags)
	return res
}

// parseFloatAfter reads the number that follows label in s.
func parseFloatAfter(s, label string) (float64, error) {
	m := regexp.MustCompile(regexp.QuoteMeta(label) + `([0-9.]+)`).FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("no %q", strings.TrimSpace(label))
	}
	return strconv.ParseFloat(m[1], 64)
}

// readPgbenchLog reads one per-thread log file. A line is
// "client_id transaction_no time script_no time_epoch time_us [schedule_lag]"
// with time and schedule_lag in microseconds, or "skipped" in place of time.
func readPgbenchLog(path string, res *pgbenchResult) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open pgbench log: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 {
			return fmt.Errorf("%s:%d: %d fields, want at least 6", path, line, len(fields))
		}
		if fields[2] == "skipped" {
			res.Skipped++
			continue
		}
		lat, err := strconv.ParseFloat(fields[2], 64)
		if err != nil {
			return fmt.Errorf("%s:%d: latency: %w", path, line, err)
		}
		res.Latencies = append(res.Latencies, micros(lat))
		if len(fields) >= 7 {
			lag, err := strconv.ParseFloat(fields[6], 64)
			if err != nil {
				return fmt.Errorf("%s:%d: schedule lag: %w", path, line, err)
			}
			res.Lags = append(res.Lags, micros(lag))
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read pgbench log: %w", err)
	}
	return nil
}

func micros(us float64) time.Duration { return time.Duration(us * float64(time.Microsecond)) }

// percentile is the nearest-rank q-quantile (0 < q <= 1) of sorted values,
// the definition HDR histograms approximate.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// progressTPS is the tps of each -P progress line ("progress: 3.0 s, 501.0
// tps, ...").
func progressTPS(output string) []string {
	var tps []string
	for _, m := range regexp.MustCompile(`(?m)^progress: [0-9.]+ s, ([0-9.]+) tps`).FindAllStringSubmatch(output, -1) {
		tps = append(tps, m[1])
	}
	return tps
}
