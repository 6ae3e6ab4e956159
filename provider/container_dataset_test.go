package provider_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/provider"
)

const tableHashSQL = "SELECT md5(string_agg(id || ':' || v, ',' ORDER BY id)) FROM t"

// TestContainerSnapshotAndStartFrom commits a running container's dataset
// into an image, keeps using the container, and starts servers on the
// image in every clone mode: each sees the table as it was committed, has
// a password of its own, takes writes, and leaves nothing behind; the image
// cannot be removed while a container uses it, and is removed after.
func TestContainerSnapshotAndStartFrom(t *testing.T) {
	ctx := context.Background()
	p := provider.NewContainer(provider.WithImage(containerImage(t)))
	cfg := provider.Config{Settings: map[string]string{"fsync": "off"}}
	inst, err := p.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer stopClean(t, inst)
	execAll(t, inst.DSN, "CREATE TABLE t AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 20000) g",
		"SELECT pg_switch_wal()", "CHECKPOINT")
	want := scalar[string](t, inst.DSN, tableHashSQL)

	record := filepath.Join(t.TempDir(), "data")
	n, err := inst.Snapshot(ctx, record)
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	tag := provider.DatasetImageTag(record)
	if n <= 0 || !strings.HasPrefix(tag, provider.DatasetRepo+":") {
		t.Fatalf("snapshot: %d bytes, image %q", n, tag)
	}
	defer func() {
		if err := provider.RemoveDatasetImage(ctx, tag); err != nil {
			t.Errorf("remove the dataset image: %v", err)
		}
		if imageExists(t, tag) {
			t.Errorf("image %s still there after RemoveDatasetImage", tag)
		}
	}()
	execAll(t, inst.DSN, "INSERT INTO t SELECT g, 'after' FROM generate_series(20001, 20010) g") // the original goes on

	for _, mode := range []string{"copy", "overlay", "auto"} {
		t.Run(mode, func(t *testing.T) {
			t.Setenv(provider.CloneModeEnv, mode)
			var log strings.Builder
			c, err := p.StartFrom(ctx, provider.Config{Settings: cfg.Settings, Log: &log}, record)
			if err != nil {
				t.Fatalf("start from the dataset image: %v", err)
			}
			defer stopClean(t, c)
			if !strings.Contains(log.String(), "dataset image of") {
				t.Errorf("log %q does not say it started on the dataset image", log.String())
			}
			if mode == "copy" && !strings.Contains(log.String(), "a copy in a volume") ||
				mode == "overlay" && !strings.Contains(log.String(), "image layer") {
				t.Errorf("%s: log %q", mode, log.String())
			}
			if got := scalar[string](t, c.DSN, tableHashSQL); got != want {
				t.Errorf("table hash %s, committed %s", got, want)
			}
			if pwOf(c.DSN) == pwOf(inst.DSN) {
				t.Error("the copy kept the saving server's password")
			}
			if _, err := pgx.Connect(ctx, strings.Replace(c.DSN, pwOf(c.DSN), "nope", 1)); err == nil {
				t.Error("the copy accepts a wrong password")
			}
			execAll(t, c.DSN, "UPDATE t SET v = 'x' WHERE id < 100", "CHECKPOINT")
			if err := provider.RemoveDatasetImage(ctx, tag); !errors.Is(err, provider.ErrDatasetImageInUse) {
				t.Errorf("removing the image a container runs: %v, want ErrDatasetImageInUse", err)
			}
		})
	}
	if got := count(t, inst.DSN, "SELECT count(*) FROM t"); got != 20010 {
		t.Errorf("the saving server has %d rows, want 20010", got)
	}
}

// TestContainerSnapshotWithStandby snapshots a primary that has a standby
// (which streams again once the primary is back) and starts the dataset
// image with a standby of its own: the image carries no replication slot
// to clash with the new standby's.
func TestContainerSnapshotWithStandby(t *testing.T) {
	ctx := context.Background()
	p := provider.NewContainer(provider.WithImage(containerImage(t)))
	// The standby retries its connection to the primary every 5 s by default.
	cfg := provider.Config{Replica: true, Settings: map[string]string{"wal_retrieve_retry_interval": "100ms"}}
	inst, err := p.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer stopClean(t, inst)
	execAll(t, inst.DSN, "CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 1000) g", "CHECKPOINT")
	record := filepath.Join(t.TempDir(), "data")
	if _, err := inst.Snapshot(ctx, record); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	tag := provider.DatasetImageTag(record)
	defer provider.RemoveDatasetImage(ctx, tag)
	if streaming := count(t, inst.DSN, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"); streaming != 1 {
		t.Errorf("%d standbys stream after the snapshot, want 1", streaming)
	}
	c, err := p.StartFrom(ctx, cfg, record)
	if err != nil {
		t.Fatalf("start from the dataset image with a standby: %v", err)
	}
	defer stopClean(t, c)
	if got := count(t, c.ReplicaDSN, "SELECT count(*) FROM t"); got != 1000 {
		t.Errorf("the copy's standby has %d rows, want 1000", got)
	}
}

func TestContainerStartFromNoRecord(t *testing.T) {
	p := provider.NewContainer()
	_, err := p.StartFrom(context.Background(), provider.Config{}, t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "not a dataset image") {
		t.Fatalf("err = %v, want a clear error for a data directory", err)
	}
	if err := provider.RemoveDatasetImage(context.Background(), ""); err != nil {
		t.Errorf("removing no image: %v", err)
	}
}

func imageExists(t *testing.T, ref string) bool {
	t.Helper()
	engine, err := provider.DetectDocker(context.Background(), provider.DefaultDetectTimeout)
	if err != nil {
		t.Fatal(err)
	}
	_, err = engine.ImageInspect(context.Background(), ref)
	if err != nil && !cerrdefs.IsNotFound(err) {
		t.Fatal(err)
	}
	return err == nil
}
