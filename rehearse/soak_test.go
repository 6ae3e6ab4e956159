//go:build soak

package rehearse_test

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rehearse/rehearse/rehearse"
	"github.com/rehearse/rehearse/scenarios"
)

// TestSoak runs traffic at 2,000 queries/s for REHEARSE_SOAK (default 30m)
// and logs the process's resident memory every minute: it must stay flat.
// Run it with `make soak`; it is not part of `make test`.
func TestSoak(t *testing.T) {
	length := 30 * time.Minute
	if v := os.Getenv("REHEARSE_SOAK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatal(err)
		}
		length = d
	}
	sc := parse(t, `
name: soak
schema:
  sql: CREATE TABLE t (id int PRIMARY KEY, v text);
data:
  tables:
    t: {rows: 100000, columns: {id: {gen: sequential}, v: {gen: word}}}
traffic:
  old:
    rate: 2000
    connections: 16
    queries:
      - {name: get, weight: 9, sql: "SELECT v FROM t WHERE id = $1", args: [{ref: t.id}]}
      - {name: set, weight: 1, sql: "UPDATE t SET v = $2 WHERE id = $1", args: [{ref: t.id}, {gen: word}]}
migration:
  steps: [{name: noop, sql: "SELECT 1"}]
phases: {baseline: 1s, cooldown: 1s}
`)
	sc.Phases.Baseline = scenarios.Duration(length)
	stop := make(chan struct{})
	samples := make(chan string, 1000)
	go sampleRSS(stop, samples)
	res, err := rehearse.Run(context.Background(), sc)
	close(stop)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("minute  rss_mib  heap_mib  goroutines")
	for line := range samples {
		t.Log(line)
	}
	w := res.Workloads[0]
	t.Logf("achieved %.1f/s of %.0f/s, dropped %d, p99 %.2fms", w.AchievedRate, w.TargetRate, w.Dropped, w.Queries[0].P99MS)
}

func sampleRSS(stop <-chan struct{}, out chan<- string) {
	defer close(out)
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for minute := 0; ; minute++ {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		out <- strconv.Itoa(minute) + "  " + strconv.FormatFloat(rssMiB(), 'f', 1, 64) + "  " +
			strconv.FormatFloat(float64(ms.HeapAlloc)/(1<<20), 'f', 1, 64) + "  " + strconv.Itoa(runtime.NumGoroutine())
		select {
		case <-stop:
			return
		case <-tick.C:
		}
	}
}

// rssMiB reads VmRSS from /proc/self/status.
func rssMiB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			kb, _ := strconv.ParseFloat(strings.Fields(line)[1], 64)
			return kb / 1024
		}
	}
	return -1
}
