package dscache

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
)

func baseInput() KeyInput {
	return KeyInput{
		SchemaSQL: "CREATE TABLE t (id int)",
		Data: scenarios.Data{Seed: 1, Tables: map[string]*scenarios.Table{
			"t": {Rows: 10, Columns: map[string]*scenarios.ValueSpec{"id": {Gen: "sequential"}}},
			"u": {Rows: 5},
		}},
		Seed: 1, ServerVersion: "15.18", DatagenVersion: "2",
	}
}

func mustKey(t *testing.T, in KeyInput) string {
	t.Helper()
	k, err := Key(in)
	if err != nil {
		t.Fatal(err)
	}
	if !ValidKey(k) {
		t.Fatalf("Key returned %q, which ValidKey refuses", k)
	}
	return k
}

func TestKeyChangesWithEveryInput(t *testing.T) {
	base := mustKey(t, baseInput())
	same := baseInput()
	same.Data.Tables = map[string]*scenarios.Table{"u": {Rows: 5}, "t": same.Data.Tables["t"]} // other insertion order
	if mustKey(t, same) != base {
		t.Error("the same inputs gave another key")
	}
	for name, change := range map[string]func(*KeyInput){
		"schema":  func(in *KeyInput) { in.SchemaSQL += ";" },
		"rows":    func(in *KeyInput) { in.Data.Tables["u"] = &scenarios.Table{Rows: 6} },
		"column":  func(in *KeyInput) { in.Data.Tables["t"].Columns["id"] = &scenarios.ValueSpec{Gen: "number"} },
		"seed":    func(in *KeyInput) { in.Seed = 2 },
		"server":  func(in *KeyInput) { in.ServerVersion = "16.4" },
		"datagen": func(in *KeyInput) { in.DatagenVersion = "3" },
		"vacuum":  func(in *KeyInput) { in.Data.Vacuum = "none" },
		"profile": func(in *KeyInput) { in.Data.ProfileData = &scenarios.Profile{Format: 1} },
		"profiled": func(in *KeyInput) {
			in.Data.ProfileData = &scenarios.Profile{Format: 1, Tables: []scenarios.ProfileTable{{Name: "t"}}}
		},
	} {
		in := baseInput()
		in.Data.Tables["t"] = &scenarios.Table{Rows: 10, Columns: map[string]*scenarios.ValueSpec{"id": {Gen: "sequential"}}}
		change(&in)
		if mustKey(t, in) == base {
			t.Errorf("changing the %s did not change the key", name)
		}
	}
	// The seed that counts is Seed (the --seed override), not Data.Seed.
	in := baseInput()
	in.Data.Seed = 99
	if mustKey(t, in) != base {
		t.Error("Data.Seed changed the key although Seed did not")
	}
}

func TestValidKey(t *testing.T) {
	for _, k := range []string{"", "../etc", "ABC", mustKey(t, baseInput())[:63] + "/"} {
		if ValidKey(k) {
			t.Errorf("ValidKey(%q) = true", k)
		}
	}
}

func TestDefaultDir(t *testing.T) {
	t.Setenv(DirEnv, "/some/where")
	if d, _ := DefaultDir(); d != "/some/where" {
		t.Errorf("with %s: %q", DirEnv, d)
	}
	t.Setenv(DirEnv, "")
	t.Setenv("XDG_CACHE_HOME", "/xdg")
	if d, _ := DefaultDir(); d != "/xdg/rehearse" {
		t.Errorf("with XDG_CACHE_HOME: %q", d)
	}
}

// save makes an entry whose data directory holds one file of size bytes.
func save(t *testing.T, c *Cache, key string, size int, name string) *Meta {
	t.Helper()
	w, err := c.Create(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(w.DataDir(), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(w.DataDir(), "f"), make([]byte, size), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := w.Commit(Meta{Scenario: name, Tables: []result.TableLoad{{Name: "t", Rows: 10}}})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func keyOf(t *testing.T, i int64) string {
	in := baseInput()
	in.Seed = i
	return mustKey(t, in)
}

func TestSaveLookup(t *testing.T) {
	c, err := Open(filepath.Join(t.TempDir(), "cache"))
	if err != nil {
		t.Fatal(err)
	}
	key := keyOf(t, 1)
	if e, err := c.Lookup(key); e != nil || err != nil {
		t.Fatalf("lookup before saving: %v, %v", e, err)
	}
	m := save(t, c, key, 1000, "s")
	if m.SizeBytes != 1000 || m.Key != key || m.Created.IsZero() || m.Format != FormatVersion {
		t.Errorf("meta %+v", m)
	}
	e, err := c.Lookup(key)
	if err != nil || e == nil {
		t.Fatalf("lookup: %v, %v", e, err)
	}
	defer e.Close()
	if e.Scenario != "s" || e.Rows() != 10 || e.SizeBytes != 1000 {
		t.Errorf("entry %+v", e.Meta)
	}
	if _, err := os.Stat(filepath.Join(e.DataDir(), "f")); err != nil {
		t.Error(err)
	}
	if left, _ := filepath.Glob(filepath.Join(c.Dir(), ".tmp-*")); len(left) > 0 {
		t.Errorf("temporary directories left: %v", left)
	}
}

// TestConcurrentSaves has several writers save the same key at once: one
// entry results, whole, and the others are told so and leave nothing.
func TestConcurrentSaves(t *testing.T) {
	c, _ := Open(t.TempDir())
	key := keyOf(t, 1)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			w, err := c.Create(key)
			if err != nil {
				errs[i] = err
				return
			}
			os.MkdirAll(w.DataDir(), 0o700)
			os.WriteFile(filepath.Join(w.DataDir(), "f"), make([]byte, 10*(i+1)), 0o600)
			_, errs[i] = w.Commit(Meta{Scenario: "s"})
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, ErrExists):
			t.Errorf("commit: %v", err)
		}
	}
	entries, _ := c.List()
	left, _ := filepath.Glob(filepath.Join(c.Dir(), ".*"))
	if ok != 1 || len(entries) != 1 || len(left) > 0 {
		t.Errorf("%d commits succeeded, %d entries, leftovers %v", ok, len(entries), left)
	}
}

func TestPrune(t *testing.T) {
	c, _ := Open(t.TempDir())
	now := time.Now()
	keys := []string{keyOf(t, 1), keyOf(t, 2), keyOf(t, 3)}
	for i, k := range keys {
		save(t, c, k, 100, "s")
		used := now.Add(-time.Duration(i) * 24 * time.Hour) // keys[0] newest
		os.Chtimes(filepath.Join(c.Dir(), k, lockFile), used, used)
	}
	// A rehearsal that died while saving.
	dead, _ := c.Create(keyOf(t, 4))
	dead.lock.Close()
	dead.lock = nil
	// A rehearsal still saving.
	live, _ := c.Create(keyOf(t, 5))
	defer live.Abort()

	res, err := c.Prune(PruneOptions{OlderThan: 36 * time.Hour, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Removed) != 1 || res.Removed[0].Key != keys[2] || res.Leftovers != 1 {
		t.Fatalf("older than 36h: removed %v, leftovers %d", keysOf(res.Removed), res.Leftovers)
	}
	if _, err := os.Stat(live.tmp); err != nil {
		t.Errorf("the live writer's directory was removed: %v", err)
	}

	held, err := c.Lookup(keys[1])
	if err != nil || held == nil {
		t.Fatal(err)
	}
	if !held.LastUsed.After(now.Add(-time.Minute)) {
		t.Errorf("lookup did not record the use: last used %v", held.LastUsed)
	}
	day := now.Add(-24 * time.Hour) // as it was: the least recently used
	os.Chtimes(filepath.Join(c.Dir(), keys[1], lockFile), day, day)
	res, err = c.Prune(PruneOptions{MaxSize: 150, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Removed) != 0 || len(res.InUse) != 1 || res.InUse[0].Key != keys[1] {
		t.Errorf("max size with the older entry in use: removed %v, in use %v", keysOf(res.Removed), keysOf(res.InUse))
	}
	held.Close()
	res, _ = c.Prune(PruneOptions{MaxSize: 150, Now: now})
	if len(res.Removed) != 1 || res.Removed[0].Key != keys[1] || len(res.Kept) != 1 || res.Kept[0].Key != keys[0] {
		t.Errorf("max size: removed %v, kept %v; want the least recently used removed", keysOf(res.Removed), keysOf(res.Kept))
	}
	res, _ = c.Prune(PruneOptions{All: true})
	if entries, _ := c.List(); len(entries) != 0 || len(res.Removed) != 1 {
		t.Errorf("all: %d entries left", len(entries))
	}
	if e, _ := c.Lookup(keys[0]); e != nil {
		t.Error("lookup found a pruned entry")
	}
}

func keysOf(es []Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Key[:8])
	}
	return out
}

// TestPruneRelease: what lives outside the cache (an image) is released
// before its entry goes; in use, the entry is kept as in use; a failure
// keeps it and is returned.
func TestPruneRelease(t *testing.T) {
	c, _ := Open(t.TempDir())
	inUse, broken, free := keyOf(t, 1), keyOf(t, 2), keyOf(t, 3)
	for _, k := range []string{inUse, broken, free} {
		save(t, c, k, 10, "s")
	}
	var released []string
	res, err := c.Prune(PruneOptions{All: true, Release: func(dataDir string) error {
		key := filepath.Base(filepath.Dir(dataDir))
		released = append(released, key)
		switch key {
		case inUse:
			return fmt.Errorf("a container runs it: %w", ErrInUse)
		case broken:
			return errors.New("no Docker engine")
		}
		return nil
	}})
	if err == nil || !strings.Contains(err.Error(), "no Docker engine") {
		t.Errorf("prune error %v, want the failed release", err)
	}
	if len(released) != 3 || len(res.Removed) != 1 || res.Removed[0].Key != free ||
		len(res.InUse) != 1 || res.InUse[0].Key != inUse || len(res.Kept) != 1 || res.Kept[0].Key != broken {
		t.Errorf("released %d; removed %v, in use %v, kept %v", len(released), keysOf(res.Removed), keysOf(res.InUse), keysOf(res.Kept))
	}
	if entries, _ := c.List(); len(entries) != 2 {
		t.Errorf("%d entries left, want the two not released", len(entries))
	}
}
