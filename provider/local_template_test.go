package provider_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/provider"
)

func execAll(t *testing.T, dsn string, sqls ...string) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, sql := range sqls {
		if _, err := conn.Exec(context.Background(), sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
}

func count(t *testing.T, dsn, sql string) int64 {
	t.Helper()
	return scalar[int64](t, dsn, sql)
}

// scalar runs sql, which returns one value, on a connection of its own.
func scalar[T any](t *testing.T, dsn, sql string) T {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var v T
	if err := conn.QueryRow(context.Background(), sql).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// treeHash hashes every file's path, mode and content under dir.
func treeHash(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %v\n", strings.TrimPrefix(path, dir), info.Mode())
		if d.Type().IsRegular() {
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.Copy(h, f)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func stopClean(t *testing.T, inst *provider.Instance) {
	t.Helper()
	if err := inst.Stop(context.Background()); err != nil {
		t.Errorf("stop: %v", err)
	}
	if left := inst.Leftovers(); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

// TestLocalSnapshotAndStartFrom snapshots a running cluster, keeps using
// it, and starts two servers on copies of the snapshot: each sees the data
// as it was snapshotted, has its own password, and writing to it leaves
// the snapshot unchanged.
func TestLocalSnapshotAndStartFrom(t *testing.T) {
	ctx := context.Background()
	local := provider.NewLocal()
	settings := map[string]string{"fsync": "off"}
	inst, err := local.Start(ctx, provider.Config{Settings: settings})
	if err != nil {
		t.Fatal(err)
	}
	defer stopClean(t, inst)
	execAll(t, inst.DSN, "CREATE TABLE t AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 50000) g",
		"SELECT pg_switch_wal()", "CHECKPOINT")
	dsnBefore := inst.DSN
	template := filepath.Join(t.TempDir(), "data")
	n, err := inst.Snapshot(ctx, template)
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	if n <= 0 || inst.DSN != dsnBefore {
		t.Errorf("snapshot copied %d bytes; DSN %q, was %q", n, inst.DSN, dsnBefore)
	}
	execAll(t, inst.DSN, "INSERT INTO t SELECT g, 'after' FROM generate_series(1, 10) g") // the original goes on
	wal, _ := filepath.Glob(filepath.Join(template, "pg_wal", "0*"))
	slots, _ := os.ReadDir(filepath.Join(template, "pg_replslot"))
	if len(wal) != 1 || len(slots) != 0 {
		t.Errorf("snapshot has WAL segments %v and slots %v, want one segment and no slot", wal, slots)
	}
	before := treeHash(t, template)

	version, err := local.ServerVersion(ctx, provider.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var copies []*provider.Instance
	for range 2 {
		c, err := local.StartFrom(ctx, provider.Config{Settings: settings}, template)
		if err != nil {
			t.Fatalf("start from the snapshot: %v", err)
		}
		defer stopClean(t, c)
		copies = append(copies, c)
	}
	for i, c := range copies {
		if got := count(t, c.DSN, "SELECT count(*) FROM t"); got != 50000 {
			t.Errorf("copy %d: %d rows, want the 50000 of the snapshot", i, got)
		}
		var v string
		conn, err := pgx.Connect(ctx, c.DSN)
		if err != nil {
			t.Fatal(err)
		}
		if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&v); err != nil || v != version {
			t.Errorf("copy %d: server_version %q (%v), ServerVersion said %q", i, v, err, version)
		}
		conn.Close(ctx)
		execAll(t, c.DSN, "DELETE FROM t WHERE id % 2 = 0", "VACUUM t", "CHECKPOINT")
	}
	if pw := func(dsn string) string { cfg, _ := pgx.ParseConfig(dsn); return cfg.Password }; pw(copies[0].DSN) == pw(copies[1].DSN) || pw(copies[0].DSN) == pw(dsnBefore) {
		t.Error("copies share a password")
	}
	if wrong := strings.Replace(copies[0].DSN, pwOf(copies[0].DSN), "nope", 1); wrong != copies[0].DSN {
		if _, err := pgx.Connect(ctx, wrong); err == nil {
			t.Error("a copy accepts a wrong password over TCP")
		}
	}
	if after := treeHash(t, template); after != before {
		t.Error("the snapshot changed while copies of it ran")
	}
}

func pwOf(dsn string) string {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return ""
	}
	return cfg.Password
}

// TestLocalSnapshotWithStandby snapshots a primary that has a standby
// (which reconnects once the primary is back) and starts a copy with a
// standby of its own (the copy has no replication slot to clash with).
func TestLocalSnapshotWithStandby(t *testing.T) {
	ctx := context.Background()
	local := provider.NewLocal()
	// The standby retries its connection to the primary every 5 s by default.
	settings := map[string]string{"wal_retrieve_retry_interval": "100ms"}
	inst, err := local.Start(ctx, provider.Config{Replica: true, Settings: settings})
	if err != nil {
		t.Fatal(err)
	}
	defer stopClean(t, inst)
	execAll(t, inst.DSN, "CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 1000) g", "CHECKPOINT")
	template := filepath.Join(t.TempDir(), "data")
	if _, err := inst.Snapshot(ctx, template); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	execAll(t, inst.DSN, "INSERT INTO t VALUES (0)")
	c, err := local.StartFrom(ctx, provider.Config{Replica: true, Settings: settings}, template)
	if err != nil {
		t.Fatalf("start from the snapshot with a standby: %v", err)
	}
	defer stopClean(t, c)
	if got := count(t, c.ReplicaDSN, "SELECT count(*) FROM t"); got != 1000 {
		t.Errorf("the copy's standby has %d rows, want 1000", got)
	}
}

func TestSnapshotUnsupported(t *testing.T) {
	inst := provider.NewInstance("postgres://x", "dsn", nil, nil)
	if _, err := inst.Snapshot(context.Background(), t.TempDir()); !errors.Is(err, provider.ErrNoSnapshot) {
		t.Fatalf("err = %v, want ErrNoSnapshot", err)
	}
}

// TestStartFromCopyOnWrite starts a server on a snapshot once per way of
// making its data directory: a full copy, the copy-on-write ways this
// machine has (overlay as root; reflink on btrfs or XFS), and auto. Each
// sees the same table content as the full copy, leaves the snapshot as it
// was, and leaves no mount behind.
func TestStartFromCopyOnWrite(t *testing.T) {
	ctx := context.Background()
	local := provider.NewLocal()
	settings := map[string]string{"fsync": "off"}
	inst, err := local.Start(ctx, provider.Config{Settings: settings})
	if err != nil {
		t.Fatal(err)
	}
	defer stopClean(t, inst)
	execAll(t, inst.DSN, "CREATE TABLE t AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 20000) g", "CHECKPOINT")
	template := filepath.Join(t.TempDir(), "data")
	if _, err := inst.Snapshot(ctx, template); err != nil {
		t.Fatal(err)
	}
	before := treeHash(t, template)
	const hashSQL = "SELECT md5(string_agg(id || ':' || v, ',' ORDER BY id)) FROM t"
	hashes := map[string]string{}
	for _, mode := range []string{"copy", "overlay", "reflink", "auto"} {
		t.Run(mode, func(t *testing.T) {
			t.Setenv(provider.CloneModeEnv, mode)
			var log strings.Builder
			c, err := local.StartFrom(ctx, provider.Config{Settings: settings, Log: &log}, template)
			if err != nil {
				if mode != "copy" && strings.Contains(err.Error(), provider.CloneModeEnv+"="+mode) {
					t.Skipf("not on this machine: %v", err)
				}
				t.Fatalf("start from the snapshot: %v", err)
			}
			defer stopClean(t, c)
			said := strings.Contains(log.String(), mode+" of "+template)
			if mode == "auto" { // a reflink copy, or a full copy saying why not
				said = strings.Contains(log.String(), "reflink of "+template) ||
					strings.Contains(log.String(), "copy of "+template) && strings.Contains(log.String(), "full copy of the cached data directory: no reflinks")
			}
			if !said {
				t.Errorf("log %q does not say %s", log.String(), mode)
			}
			conn, err := pgx.Connect(ctx, c.DSN)
			if err != nil {
				t.Fatal(err)
			}
			var h string
			err = conn.QueryRow(ctx, hashSQL).Scan(&h)
			conn.Close(ctx)
			if err != nil {
				t.Fatal(err)
			}
			hashes[mode] = h
			execAll(t, c.DSN, "UPDATE t SET v = 'x' WHERE id < 100", "CHECKPOINT")
		})
	}
	for mode, h := range hashes {
		if h != hashes["copy"] {
			t.Errorf("%s: table hash %s, full copy %s", mode, h, hashes["copy"])
		}
	}
	if after := treeHash(t, template); after != before {
		t.Error("the snapshot changed under copy-on-write starts")
	}
}
