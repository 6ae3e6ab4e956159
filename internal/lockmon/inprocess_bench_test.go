//go:build linux

package lockmon_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/brianvoe/gofakeit/v7"

	"github.com/rehearse/rehearse/internal/dbconn"
	"github.com/rehearse/rehearse/internal/lockmon"
	"github.com/rehearse/rehearse/internal/pgtest"
	"github.com/rehearse/rehearse/loadgen"
)

// ipPairs windows of ipWindow each without and then with the monitor, on
// one traffic run: the traffic's CPU time drifts less between neighbouring
// windows than between separate runs.
const (
	ipPairs  = 20
	ipWindow = 2 * time.Second
)

// BenchmarkMonitorCostInProcess measures the monitor where a rehearsal runs
// it: in the process that also drives the traffic. loadgen sends 500
// requests/s (pgbench -S's query) on 8 connections named rehearse/old, and
// a session named as the migration runs a long statement, so that every
// sample also reads pg_locks, as in a migration step. The monitor is
// started and stopped in alternate windows. Its cost is the mean difference
// in this process's CPU time between a window with it and the window
// before, plus its backend's CPU time (read directly). Measured with no
// lock wait (the idle interval), with a session waiting for a lock
// throughout each 2 s window (the defaults: 10 ms, then a twentieth of the
// wait's age), and at 10 ms throughout (how lock waits were sampled
// before). The
// pgbench-driven benchmarks measure the monitor alone in an otherwise idle
// process, where every sample also pays for waking the Go scheduler: an
// upper bound of the Go side.
func BenchmarkMonitorCostInProcess(b *testing.B) {
	dsn := pgtest.NewDB(b)
	ohInitPgbench(b, dsn)
	traffic := startTraffic(b, dsn)
	defer traffic.Stop(context.Background())
	defer startMigrationSession(b, dsn)()
	b.ResetTimer()
	for _, rate := range []struct {
		name string
		opts []lockmon.Option
		// wait: a session waits for a lock throughout each window the
		// monitor samples, from its start.
		wait bool
	}{
		{"no-lock-wait", nil, false},
		{"2s-lock-wait", nil, true},
		{"10ms-throughout", []lockmon.Option{lockmon.WithIdleInterval(lockmon.DefaultInterval)}, false},
	} {
		var diffs []float64
		var backend, wall time.Duration
		var samples int64
		for range ipPairs {
			off := windowCPU(b, ipWindow)
			release := func() {}
			if rate.wait {
				release = startLockWait(b, dsn)
			}
			stop := startMonitor(b, dsn, "step", rate.opts)
			on := windowCPU(b, ipWindow)
			run := stop()
			release()
			diffs = append(diffs, 100*float64(on-off)/float64(ipWindow))
			backend += run.backend
			wall += ipWindow
			samples += run.samples
		}
		goPct, spread := meanAndError(diffs)
		backendPct := 100 * float64(backend) / float64(wall)
		b.ReportMetric(goPct+backendPct, rate.name+"-core-%")
		b.Logf("%-15s (%.0f samples/s): %.2f%% of a core: Go process %+.2f%% ± %.2f%% (standard error over %d window pairs), backend %.2f%%",
			rate.name, float64(samples)/wall.Seconds(), goPct+backendPct, goPct, spread, ipPairs, backendPct)
	}
}

// windowCPU is this process's CPU time over the next d.
func windowCPU(b *testing.B, d time.Duration) time.Duration {
	cpu0 := processCPU(b)
	time.Sleep(d)
	return processCPU(b) - cpu0
}

// meanAndError is the mean of xs and its standard error.
func meanAndError(xs []float64) (float64, float64) {
	var sum, sq float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / float64(len(xs))
	for _, x := range xs {
		sq += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(sq/float64(len(xs)-1)) / math.Sqrt(float64(len(xs)))
}

// monitorRun is what one run of the monitor took: samples and the CPU time
// of its backend while it was measured.
type monitorRun struct {
	samples int64
	backend time.Duration
}

// startMonitor starts a monitor told it is in phase and returns the
// function that stops it and says what it took.
func startMonitor(b *testing.B, dsn, phase string, opts []lockmon.Option) func() monitorRun {
	ctx := context.Background()
	mon, err := lockmon.Start(ctx, dsn, append(opts, lockmon.WithPhase(func() string { return phase }))...)
	if err != nil {
		b.Fatalf("start lock monitor: %v", err)
	}
	pid := monitorBackend(b, dsn)
	cpu0 := backendCPU(b, pid)
	return func() monitorRun {
		cpu := backendCPU(b, pid) - cpu0
		rep := mon.Stop(ctx)
		if rep.Err != nil {
			b.Fatalf("lock monitor: %v", rep.Err)
		}
		return monitorRun{samples: rep.Waits.Monitor.Samples, backend: cpu}
	}
}

// startMigrationSession runs a long statement on a session named as the
// migration and returns the function that ends it.
func startMigrationSession(b *testing.B, dsn string) func() {
	ctx, cancel := context.WithCancel(context.Background())
	conn, err := dbconn.Connect(ctx, dsn, dbconn.Migration)
	if err != nil {
		b.Fatalf("connect as the migration: %v", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = conn.Exec(ctx, "SELECT pg_sleep(3600)")
	}()
	return func() {
		cancel()
		<-done
		conn.Close(context.Background())
	}
}

// startLockWait makes a session wait for a lock on pgbench_branches (the
// traffic reads pgbench_accounts) and returns the function that ends the
// wait. It returns once the server shows the wait.
func startLockWait(b *testing.B, dsn string) func() {
	ctx := context.Background()
	holder, err := dbconn.Connect(ctx, dsn, "bench/holder")
	if err != nil {
		b.Fatalf("connect the lock holder: %v", err)
	}
	waiter, err := dbconn.Connect(ctx, dsn, "bench/waiter")
	if err != nil {
		b.Fatalf("connect the waiter: %v", err)
	}
	if _, err := holder.Exec(ctx, "BEGIN; LOCK TABLE pgbench_branches IN ACCESS EXCLUSIVE MODE"); err != nil {
		b.Fatalf("take the lock: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := waiter.Exec(ctx, "SELECT count(*) FROM pgbench_branches")
		done <- err
	}()
	for waiting := false; !waiting; {
		if err := holder.QueryRow(ctx, "SELECT count(*) > 0 FROM pg_stat_activity WHERE application_name = 'bench/waiter' AND wait_event_type = 'Lock'").Scan(&waiting); err != nil {
			b.Fatalf("look for the wait: %v", err)
		}
	}
	return func() {
		if _, err := holder.Exec(ctx, "COMMIT"); err != nil {
			b.Fatalf("release the lock: %v", err)
		}
		if err := <-done; err != nil {
			b.Fatalf("waiter: %v", err)
		}
		holder.Close(ctx)
		waiter.Close(ctx)
	}
}

// startTraffic starts 500 requests/s of pgbench -S's query as rehearse/old.
func startTraffic(b *testing.B, dsn string) *loadgen.Run {
	w := loadgen.Workload{Name: "old", AppName: "rehearse/old", Rate: ohRate, Connections: ohConns, Queries: []loadgen.Query{{
		Name: "get", SQL: "SELECT abalance FROM pgbench_accounts WHERE aid = $1", Weight: 1,
		Args: []loadgen.ArgFunc{func(*gofakeit.Faker) any { return rand.IntN(100000) + 1 }},
	}}}
	traffic, err := loadgen.Start(context.Background(), dsn, w)
	if err != nil {
		b.Fatalf("start traffic: %v", err)
	}
	return traffic
}
