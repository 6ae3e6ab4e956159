//go:build linux

package lockmon_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rehearse/rehearse/internal/lockmon"
	"github.com/rehearse/rehearse/internal/pgtest"
)

// BenchmarkMonitorCostByPhase measures the monitor with its wait-event
// sampling as a rehearsal runs it: in the baseline (idle interval, 50 ms)
// and in a migration step (10 ms), on an idle database and under pgbench -S
// at 500/s on 8 connections named as traffic (rehearse/old), whose wait
// events are sampled. No session waits for a lock, so pg_locks is not read:
// that is the cost outside lock waits.
func BenchmarkMonitorCostByPhase(b *testing.B) {
	dsn := pgtest.NewDB(b)
	ohInitPgbench(b, dsn)
	rateArgs := fmt.Sprintf("-R %d -T %d", ohRate, int(ohRateFor.Seconds()))
	b.ResetTimer()
	for _, phase := range []string{"baseline", "step"} {
		idle := withMonitorIn(b, dsn, phase, func() { time.Sleep(ohIdleFor) })
		busy := withMonitorIn(b, dsn, phase, func() { ohPgbench(b, dsn, rateArgs) })
		b.ReportMetric(idle.corePct(), phase+"-idle-core-%")
		b.ReportMetric(busy.corePct(), phase+"-500/s-core-%")
		b.Logf("phase %-8s idle db:  %s", phase, idle)
		b.Logf("phase %-8s 500/s:    %s", phase, busy)
	}
}

// withMonitorIn is withMonitor with the monitor told it is in phase.
func withMonitorIn(b *testing.B, dsn, phase string, run func()) monitorCost {
	ctx := context.Background()
	mon, err := lockmon.Start(ctx, dsn, lockmon.WithInterval(ohInterval), lockmon.WithPhase(func() string { return phase }))
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
