package provider_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rehearse/rehearse/internal/testimage"
	"github.com/rehearse/rehearse/provider"
)

// BenchmarkContainerCachedStart is BenchmarkCachedStart for the container
// provider. For each row count in $REHEARSE_BENCH_ROWS (comma-separated,
// default 100000) it loads a users table of that many rows (about 120
// bytes each, with its primary key) into a container, commits it into a
// dataset image (Instance.Snapshot), and starts a server on the image
// three times per clone mode: copy (the data copied into a volume as the
// container is created: what auto does on overlay storage drivers) and
// overlay (on the image layer). It reports the load and save times, the
// dataset layer's size, and per mode the fastest and slowest time to a
// server that answers and to the first one-row UPDATE after it.
func BenchmarkContainerCachedStart(b *testing.B) {
	ctx := context.Background()
	img := testimage.Require(b)
	p := provider.NewContainer(provider.WithImage(img), provider.WithStartTimeout(30*time.Minute))
	for _, rows := range benchRows(b) {
		record, cleanup := benchDatasetImage(b, p, rows)
		for _, mode := range []string{"copy", "overlay"} {
			b.Run(fmt.Sprintf("rows-%d/%s", rows, mode), func(b *testing.B) {
				b.Setenv(provider.CloneModeEnv, mode)
				for b.Loop() {
					var ready, write span
					for range 3 {
						start := time.Now()
						inst, err := p.StartFrom(ctx, provider.Config{}, record)
						if err != nil {
							b.Fatal(err)
						}
						ready.add(time.Since(start))
						start = time.Now()
						benchExec(b, inst.DSN, "UPDATE users SET name = name WHERE id = 1")
						write.add(time.Since(start))
						if err := inst.Stop(ctx); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(ready.min.Seconds(), "s_to_ready_min")
					b.ReportMetric(ready.max.Seconds(), "s_to_ready_max")
					b.ReportMetric(float64(write.min.Milliseconds()), "first_update_ms_min")
					b.ReportMetric(float64(write.max.Milliseconds()), "first_update_ms_max")
				}
			})
		}
		cleanup()
	}
}

// benchDatasetImage loads rows into a container and saves them as a
// dataset image; cleanup removes the image.
func benchDatasetImage(b *testing.B, p *provider.Container, rows int64) (record string, cleanup func()) {
	b.Helper()
	ctx := context.Background()
	inst, err := p.Start(ctx, provider.Config{Settings: map[string]string{
		"max_wal_size": "8GB", "maintenance_work_mem": "512MB", "synchronous_commit": "off",
	}})
	if err != nil {
		b.Fatal(err)
	}
	defer inst.Stop(ctx)
	start := time.Now()
	benchExec(b, inst.DSN, fmt.Sprintf(`CREATE TABLE users AS SELECT g AS id, md5(g::text) AS name,
		md5((-g)::text) || '@example.com' AS email, now() - g * interval '1 second' AS created
		FROM generate_series(1, %d) g`, rows), "ALTER TABLE users ADD PRIMARY KEY (id)", "CHECKPOINT")
	load := time.Since(start)
	record = filepath.Join(b.TempDir(), "data")
	start = time.Now()
	size, err := inst.Snapshot(ctx, record)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("rows %d: load %s, save %s, dataset layer %.0f MiB (%s)", rows, load.Round(time.Second),
		time.Since(start).Round(time.Second), float64(size)/(1<<20), provider.DatasetImageTag(record))
	return record, func() {
		if err := provider.RemoveDatasetImage(ctx, provider.DatasetImageTag(record)); err != nil {
			b.Error(err)
		}
	}
}

func benchRows(b *testing.B) []int64 {
	spec := os.Getenv("REHEARSE_BENCH_ROWS")
	if spec == "" {
		return []int64{100_000}
	}
	var out []int64
	for _, f := range strings.Split(spec, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64)
		if err != nil || n <= 0 {
			b.Fatalf("REHEARSE_BENCH_ROWS: %q is not a row count", f)
		}
		out = append(out, n)
	}
	return out
}

type span struct{ min, max time.Duration }

func (s *span) add(d time.Duration) {
	if s.min == 0 || d < s.min {
		s.min = d
	}
	s.max = max(s.max, d)
}
