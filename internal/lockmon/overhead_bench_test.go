//go:build linux

// The overhead benchmarks read CPU time from /proc, hence Linux only.

package lockmon_test

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
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/internal/lockmon"
	"github.com/rehearse/rehearse/internal/pgtest"
	"github.com/rehearse/rehearse/provider"
)

// The load is pgbench's select-only script (-S) on 8 connections, a query
// that takes two locks per execution, so that pg_locks is never empty; pgbench
// rather than loadgen so that the Go process runs nothing but the monitor and
// its CPU time is the monitor's. Each benchmark runs one experiment per
// invocation whatever b.N is; repeat it with -count to see the spread.
const (
	ohConns   = 8
	ohThreads = 2 // pgbench -j: one per core of the 2-core machine
	ohScale   = 1
	// ohRounds pairs of closed-loop runs, without then with the monitor, of
	// ohRunFor each: alternating spreads the machine's drift over both.
	ohRounds = 3
	ohRunFor = 4 * time.Second
	// ohIdleFor is how long the monitor samples an idle database.
	ohIdleFor = 3 * time.Second
	// ohRate and ohRateFor are the fixed-rate comparison.
	ohRate    = 500
	ohRateFor = 10 * time.Second
	// ohInterval is the sampling interval measured: the default.
	ohInterval = lockmon.DefaultInterval
)

// BenchmarkMonitorOverheadClosedLoop measures what the lock monitor, sampling
// every 10 ms, costs a saturated server: pgbench -S throughput on 8
// connections without and with it (alternating runs), and the monitor's own
// CPU time, in the Go process and in its server backend, during those runs
// and on an idle database.
func BenchmarkMonitorOverheadClosedLoop(b *testing.B) {
	dsn := pgtest.NewDB(b)
	ohInitPgbench(b, dsn)
	b.ResetTimer()

	idle := withMonitor(b, dsn, func() { time.Sleep(ohIdleFor) }) // the experiment: sample an idle database
	var off, on []float64
	var busy monitorCost
	for range ohRounds {
		off = append(off, ohPgbench(b, dsn, "").tps)
		var tps float64
		busy.add(withMonitor(b, dsn, func() { tps = ohPgbench(b, dsn, "").tps }))
		on = append(on, tps)
	}
	b.StopTimer()

	offMean, onMean := mean(off), mean(on)
	drop := (offMean - onMean) / offMean * 100
	b.ReportMetric(offMean, "tps-without")
	b.ReportMetric(onMean, "tps-with")
	b.ReportMetric(drop, "tps-drop-%")
	b.ReportMetric(busy.meanSampleMS(), "mean-sample-ms")
	b.ReportMetric(busy.corePct(), "monitor-core-%")
	b.ReportMetric(idle.corePct(), "idle-monitor-core-%")
	b.Logf("pgbench -S -c %d -j %d -M prepared, %d × %s each way, monitor every %s:", ohConns, ohThreads, ohRounds, ohRunFor, ohInterval)
	b.Logf("  tps without monitor %s (mean %.0f), with %s (mean %.0f): %.1f%% lower",
		fmtAll(off), offMean, fmtAll(on), onMean, drop)
	b.Logf("  under load: %s", busy)
	b.Logf("  idle db:    %s", idle)
}

// BenchmarkMonitorOverheadFixedRate measures what the monitor adds to the
// latency of a steady 500/s (pgbench -S -R, 8 connections, 10 s without then
// 10 s with it): the figure a rehearsal's baseline carries.
func BenchmarkMonitorOverheadFixedRate(b *testing.B) {
	dsn := pgtest.NewDB(b)
	ohInitPgbench(b, dsn)
	rateArgs := fmt.Sprintf("-R %d -T %d", ohRate, int(ohRateFor.Seconds()))
	b.ResetTimer()

	off := ohPgbench(b, dsn, rateArgs)
	var on ohResult
	cost := withMonitor(b, dsn, func() { on = ohPgbench(b, dsn, rateArgs) })
	b.StopTimer()

	p := func(r ohResult, q float64) float64 { return float64(ohPercentile(r.latencies, q)) / 1e3 }
	b.ReportMetric(p(off, 0.5), "p50-without-µs")
	b.ReportMetric(p(on, 0.5), "p50-with-µs")
	b.ReportMetric(p(off, 0.99), "p99-without-µs")
	b.ReportMetric(p(on, 0.99), "p99-with-µs")
	b.ReportMetric(cost.corePct(), "monitor-core-%")
	b.Logf("pgbench -S -R %d -c %d -j %d -M prepared, %s without then %s with the monitor every %s:", ohRate, ohConns, ohThreads, ohRateFor, ohRateFor, ohInterval)
	b.Logf("  %-16s %8s %8s %8s %8s", "", "p50 µs", "p99 µs", "max µs", "tps")
	for _, row := range []struct {
		name string
		r    ohResult
	}{{"without monitor", off}, {"with monitor", on}} {
		b.Logf("  %-16s %8.0f %8.0f %8.0f %8.1f", row.name, p(row.r, 0.5), p(row.r, 0.99), p(row.r, 1), row.r.tps)
	}
	b.Logf("  monitor: %s", cost)
}

// monitorCost is what the monitor cost over one or more runs.
type monitorCost struct {
	samples        int64
	sampleTotalMS  float64 // Σ mean × samples
	maxSampleMS    float64
	wall           time.Duration
	client, server time.Duration // CPU time of the Go process and of the monitor's backend
}

func (c *monitorCost) add(o monitorCost) {
	c.samples += o.samples
	c.sampleTotalMS += o.sampleTotalMS
	c.maxSampleMS = max(c.maxSampleMS, o.maxSampleMS)
	c.wall += o.wall
	c.client += o.client
	c.server += o.server
}

func (c monitorCost) meanSampleMS() float64 { return c.sampleTotalMS / float64(max(c.samples, 1)) }

// corePct is the monitor's CPU time, client and server, in percent of one
// core over the wall time it ran.
func (c monitorCost) corePct() float64 {
	return float64(c.client+c.server) / float64(c.wall) * 100
}

func (c monitorCost) String() string {
	return fmt.Sprintf("%d samples (%.0f/s), mean %.2f ms, max %.2f ms; CPU %.1f%% of a core (Go process %.1f%%, backend %.1f%%)",
		c.samples, float64(c.samples)/c.wall.Seconds(), c.meanSampleMS(), c.maxSampleMS, c.corePct(),
		float64(c.client)/float64(c.wall)*100, float64(c.server)/float64(c.wall)*100)
}

// withMonitor runs run while the monitor samples every ohInterval, and
// returns the monitor's sampling statistics and CPU time over run. The Go
// process's CPU time counts as the monitor's: nothing else in it is busy.
func withMonitor(b *testing.B, dsn string, run func()) monitorCost {
	ctx := context.Background()
	mon, err := lockmon.Start(ctx, dsn, lockmon.WithInterval(ohInterval))
	if err != nil {
		b.Fatalf("start lock monitor: %v", err)
	}
	pid := monitorBackend(b, dsn)
	server0, client0, began := backendCPU(b, pid), processCPU(b), time.Now()
	run()
	server1, client1, wall := backendCPU(b, pid), processCPU(b), time.Since(began)
	rep := mon.Stop(ctx)
	if rep.Err != nil {
		b.Fatalf("lock monitor: %v", rep.Err)
	}
	m := rep.Waits.Monitor
	return monitorCost{samples: m.Samples, sampleTotalMS: m.MeanSampleMS * float64(m.Samples), maxSampleMS: m.MaxSampleMS,
		wall: wall, client: client1 - client0, server: server1 - server0}
}

// monitorBackend is the server process id of the monitor's session.
func monitorBackend(b *testing.B, dsn string) int {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	var pid int
	if err := conn.QueryRow(ctx, `SELECT pid FROM pg_stat_activity
		WHERE application_name = 'rehearse/monitor' AND datname = current_database()`).Scan(&pid); err != nil {
		b.Fatalf("find the monitor's backend: %v", err)
	}
	return pid
}

// backendCPU is the CPU time of a (single-threaded) server process, from the
// first field of /proc/<pid>/schedstat, in nanoseconds.
func backendCPU(b *testing.B, pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/schedstat", pid))
	if err != nil {
		b.Fatalf("backend CPU time: %v", err)
	}
	ns, err := strconv.ParseInt(strings.Fields(string(data))[0], 10, 64)
	if err != nil {
		b.Fatalf("backend CPU time: %v", err)
	}
	return time.Duration(ns)
}

// processCPU is this process's user and system CPU time.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func ohPgbenchBin(b *testing.B) string {
	dir, err := provider.FindBinDir("")
	if err != nil {
		b.Fatalf("find PostgreSQL binaries: %v", err)
	}
	return filepath.Join(dir.Path, "pgbench")
}

// ohInitPgbench creates the pgbench tables at ohScale.
func ohInitPgbench(b *testing.B, dsn string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, ohPgbenchBin(b), "-i", "-q", "-s", strconv.Itoa(ohScale), dsn).CombinedOutput()
	if err != nil {
		b.Fatalf("pgbench -i: %v\n%s", err, out)
	}
}

// ohResult is one pgbench run: its tps and, with a rate, the latency of every
// transaction from its scheduled start, sorted.
type ohResult struct {
	tps       float64
	latencies []time.Duration
}

// ohPgbench runs the select-only script on ohConns connections, for ohRunFor
// unless extra (space-separated flags) sets -T; with -R it reads the
// per-transaction log.
func ohPgbench(b *testing.B, dsn, extra string) ohResult {
	args := []string{"-n", "-S", "-M", "prepared", "-c", strconv.Itoa(ohConns), "-j", strconv.Itoa(ohThreads)}
	if !strings.Contains(extra, "-T") {
		args = append(args, "-T", strconv.Itoa(int(ohRunFor.Seconds())))
	}
	args = append(args, strings.Fields(extra)...)
	logDir := b.TempDir()
	logged := strings.Contains(extra, "-R")
	if logged {
		args = append(args, "--log", "--log-prefix="+filepath.Join(logDir, "log"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, ohPgbenchBin(b), append(args, dsn)...)
	// Named as a rehearsal's traffic, so that the monitor samples these
	// sessions' wait events as it would a workload's.
	cmd.Env = append(os.Environ(), "PGAPPNAME=rehearse/old")
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("pgbench %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	m := regexp.MustCompile(`tps = ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		b.Fatalf("no tps in pgbench output:\n%s", out)
	}
	res := ohResult{}
	res.tps, _ = strconv.ParseFloat(string(m[1]), 64) // the regexp admits only numbers
	if logged {
		res.latencies = ohReadLogs(b, logDir)
	}
	return res
}

// ohReadLogs reads the latency (third field, µs) of every transaction in
// pgbench's per-thread logs.
func ohReadLogs(b *testing.B, dir string) []time.Duration {
	files, _ := filepath.Glob(filepath.Join(dir, "log.*")) // the pattern is valid
	var lats []time.Duration
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			b.Fatalf("open pgbench log: %v", err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 3 {
				b.Fatalf("%s: short line %q", name, sc.Text())
			}
			v, err := strconv.ParseFloat(fields[2], 64)
			if err != nil {
				b.Fatalf("%s: latency %q: %v", name, fields[2], err)
			}
			lats = append(lats, time.Duration(v*1e3))
		}
		f.Close()
		if err := sc.Err(); err != nil {
			b.Fatalf("read pgbench log: %v", err)
		}
	}
	if len(lats) == 0 {
		b.Fatalf("no transactions in the pgbench logs in %s", dir)
	}
	slices.Sort(lats)
	return lats
}

// ohPercentile is the nearest-rank q-quantile of sorted values.
func ohPercentile(sorted []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

func fmtAll(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.0f", x)
	}
	return strings.Join(parts, "/")
}
