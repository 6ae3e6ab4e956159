package provider_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/provider"
)

// BenchmarkCachedStart starts a server on each saved data directory under
// $REHEARSE_BENCH_TEMPLATES (the rows-N directories BenchmarkScaleLoad of
// datagen saves with REHEARSE_BENCH_KEEP), once per way of making the
// run's data directory (REHEARSE_CLONE_MODE copy, overlay, reflink; the
// ones this machine lacks are skipped), and reports the time to a server
// that answers, the disk the run's directory takes, and how long the first
// one-row UPDATE of the largest table takes (an overlay copies the
// table's whole 1 GB segment up on its first write). Without the variable
// it makes a 100,000-row template of its own.
func BenchmarkCachedStart(b *testing.B) {
	ctx := context.Background()
	root := os.Getenv("REHEARSE_BENCH_TEMPLATES")
	if root == "" {
		root = b.TempDir()
		inst, err := provider.NewLocal().Start(ctx, provider.Config{})
		if err != nil {
			b.Fatal(err)
		}
		benchExec(b, inst.DSN, "CREATE TABLE users AS SELECT g AS id, md5(g::text) AS name FROM generate_series(1, 100000) g",
			"ALTER TABLE users ADD PRIMARY KEY (id)", "CHECKPOINT")
		if _, err := inst.Snapshot(ctx, filepath.Join(root, "rows-100000")); err != nil {
			b.Fatal(err)
		}
		inst.Stop(ctx)
	}
	templates, _ := filepath.Glob(filepath.Join(root, "rows-*"))
	if len(templates) == 0 {
		b.Fatalf("no rows-N directories in %s", root)
	}
	local := provider.NewLocal()
	for _, tmpl := range templates {
		for _, mode := range []string{"copy", "overlay", "reflink"} {
			b.Run(filepath.Base(tmpl)+"/"+mode, func(b *testing.B) {
				b.Setenv(provider.CloneModeEnv, mode)
				for b.Loop() {
					start := time.Now()
					inst, err := local.StartFrom(ctx, provider.Config{}, tmpl)
					if err != nil {
						if strings.Contains(err.Error(), provider.CloneModeEnv+"=") {
							b.Skipf("%s: %v", mode, err)
						}
						b.Fatal(err)
					}
					ready := time.Since(start)
					b.StopTimer()
					runDisk := runDirBytes(b, inst, mode == "overlay")
					start = time.Now()
					benchExec(b, inst.DSN, "UPDATE users SET name = name WHERE id = 1")
					firstWrite := time.Since(start)
					if err := inst.Stop(ctx); err != nil {
						b.Fatal(err)
					}
					b.ReportMetric(ready.Seconds(), "s_to_ready")
					b.ReportMetric(float64(runDisk)/(1<<20), "run_disk_MiB")
					b.ReportMetric(firstWrite.Seconds()*1000, "first_update_ms")
					b.StartTimer()
				}
			})
		}
	}
}

// runDirBytes is the disk the instance's own directory takes (blocks
// allocated), found from the server's data_directory; overlay leaves out
// the mounted data directory, whose own writes are in the upper layer.
func runDirBytes(b *testing.B, inst *provider.Instance, overlay bool) int64 {
	b.Helper()
	conn, err := pgx.Connect(context.Background(), inst.DSN)
	if err != nil {
		b.Fatal(err)
	}
	var dir string
	err = conn.QueryRow(context.Background(), "SHOW data_directory").Scan(&dir)
	conn.Close(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	var total int64
	// The cluster's directory, which holds the upper layer of an overlay.
	filepath.WalkDir(filepath.Dir(dir), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && path == dir && overlay {
			return fs.SkipDir
		}
		if info, err := d.Info(); err == nil && !d.IsDir() {
			if st, ok := info.Sys().(*syscall.Stat_t); ok {
				total += st.Blocks * 512
			}
		}
		return nil
	})
	return total
}

func benchExec(b *testing.B, dsn string, sqls ...string) {
	b.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, sql := range sqls {
		if _, err := conn.Exec(context.Background(), sql); err != nil {
			b.Fatalf("%s: %v", sql, err)
		}
	}
}
