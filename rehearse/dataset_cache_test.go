package rehearse_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rehearse/rehearse/internal/dscache"
	"github.com/rehearse/rehearse/internal/pgtest"
	"github.com/rehearse/rehearse/provider"
	"github.com/rehearse/rehearse/rehearse"
	"github.com/rehearse/rehearse/scenarios"
)

// trackingTemplater is a provider with template support (local or
// container), keeping its instances so that a test can check nothing is
// left behind.
type trackingTemplater struct {
	provider.Templater
	mu        sync.Mutex
	instances []*provider.Instance
	fromCache int
}

func (p *trackingTemplater) track(inst *provider.Instance, cached bool) {
	if inst == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.instances = append(p.instances, inst)
	if cached {
		p.fromCache++
	}
}

func (p *trackingTemplater) Start(ctx context.Context, cfg provider.Config) (*provider.Instance, error) {
	inst, err := p.Templater.Start(ctx, cfg)
	p.track(inst, false)
	return inst, err
}

func (p *trackingTemplater) StartFrom(ctx context.Context, cfg provider.Config, dir string) (*provider.Instance, error) {
	inst, err := p.Templater.StartFrom(ctx, cfg, dir)
	p.track(inst, true)
	return inst, err
}

func (p *trackingTemplater) assertNothingLeft(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, inst := range p.instances {
		if left := inst.Leftovers(); len(left) > 0 {
			t.Errorf("left behind after Run: %v", left)
		}
	}
}

// cachedScenario writes to its data: old code inserts rows, and the
// migration adds a column and an index.
const cachedScenario = `
name: cached dataset
schema:
  sql: |
    CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, email text);
    CREATE TABLE orders (id bigserial PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id), total numeric(10,2));
data:
  seed: 5
  tables:
    users: {rows: 20000, columns: {name: {gen: name}}}
    orders: {rows: 40000}
traffic:
  old:
    rate: 50
    connections: 2
    queries:
      - {name: get, sql: "SELECT name FROM users WHERE id = $1", args: [{ref: users.id}]}
      - {name: add, sql: "INSERT INTO orders (user_id, total) VALUES ($1, 1)", args: [{ref: users.id}]}
migration:
  steps:
    - {name: expand, sql: "ALTER TABLE users ADD COLUMN nick text"}
    - {name: index, sql: "CREATE INDEX orders_total ON orders (total)"}
phases: {baseline: 300ms, cooldown: 300ms}
`

func parseScenario(t *testing.T, text string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Parse([]byte(text), "")
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// dirHash hashes the paths, modes and contents of the files under dir.
func dirHash(t *testing.T, dir string) string {
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
		fmt.Fprintf(h, "%s %v %d\n", strings.TrimPrefix(path, dir), info.Mode(), info.Size())
		if !d.Type().IsRegular() {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(h, f)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// TestDatasetCache rehearses a scenario three times with the cache: the
// first loads and saves the dataset, the second starts on a copy of it
// (no schema, no data load) and writes to that copy without changing the
// cache, the third, without the cache, loads again.
func TestDatasetCache(t *testing.T) {
	dir := t.TempDir()
	p := &trackingTemplater{Templater: provider.NewLocal()}
	defer p.assertNothingLeft(t)
	rehearseOnce := func(opts ...rehearse.Option) (string, *cacheRun) { return rehearseCached(t, p, opts...) }

	out, first := rehearseOnce(rehearse.WithCache(dir))
	if first.cached || first.key == "" || first.rows != 60000 || !strings.Contains(out, "dataset cache: saved") {
		t.Fatalf("first run: %+v\n%s", first, out)
	}
	c, _ := dscache.Open(dir)
	entries, _ := c.List()
	if len(entries) != 1 || entries[0].Key != first.key || entries[0].Rows() != 60000 || entries[0].Scenario != "cached dataset" {
		t.Fatalf("cache entries after the first run: %+v", entries)
	}
	saved := dirHash(t, entries[0].DataDir())

	out, second := rehearseOnce(rehearse.WithCache(dir))
	if !second.cached || second.key != first.key || second.rows != 60000 || p.fromCache != 1 {
		t.Fatalf("second run: %+v, %d servers from the cache\n%s", second, p.fromCache, out)
	}
	for _, loadLine := range []string{"applying baseline schema", "checkpointed", "dataset cache: saved"} {
		if strings.Contains(out, loadLine) {
			t.Errorf("second run printed %q: it loaded or saved again\n%s", loadLine, out)
		}
	}
	if dirHash(t, entries[0].DataDir()) != saved {
		t.Error("the cached data directory changed during a run that wrote to its copy")
	}

	out, third := rehearseOnce(rehearse.WithCache(dir), rehearse.WithoutCache())
	if third.cached || third.key != "" || strings.Contains(out, "dataset cache") || p.fromCache != 1 {
		t.Errorf("without the cache: %+v\n%s", third, out)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) > 0 {
		t.Errorf("temporary entries left in the cache: %v", left)
	}
}

// rehearseCached rehearses cachedScenario on p, which must PASS, and
// returns its progress and what it says of the cache.
func rehearseCached(t *testing.T, p provider.Provider, opts ...rehearse.Option) (string, *cacheRun) {
	t.Helper()
	var progress bytes.Buffer
	res, err := rehearse.Run(context.Background(), parseScenario(t, cachedScenario),
		append([]rehearse.Option{rehearse.WithProvider(p), rehearse.WithProgress(&progress, false)}, opts...)...)
	if err != nil {
		t.Fatalf("rehearse: %v\n%s", err, progress.String())
	}
	if !res.Verdict.Pass {
		t.Fatalf("verdict: %v\n%s", res.Verdict.Reasons, progress.String())
	}
	var rows int64
	for _, tl := range res.Data.Tables {
		rows += tl.Rows
	}
	return progress.String(), &cacheRun{cached: res.Data.Cached, key: res.Data.CacheKey, rows: rows}
}

type cacheRun struct {
	cached bool
	key    string
	rows   int64
}

// TestDatasetCacheOtherProviders says in one line that the cache is not
// used, and goes on.
func TestDatasetCacheOtherProviders(t *testing.T) {
	dir := t.TempDir()
	var progress bytes.Buffer
	dsn := provider.DSN{URL: pgtest.NewDB(t), Disposable: true}
	res, err := rehearse.Run(context.Background(), parseScenario(t, cachedScenario),
		rehearse.WithProvider(dsn), rehearse.WithProgress(&progress, false), rehearse.WithCache(dir))
	if err != nil {
		t.Fatalf("rehearse: %v\n%s", err, progress.String())
	}
	if n := strings.Count(progress.String(), "dataset cache"); n != 1 || !strings.Contains(progress.String(), "not used with the dsn provider") {
		t.Errorf("progress says %d times dataset cache:\n%s", n, progress.String())
	}
	if res.Data.Cached || res.Data.CacheKey != "" {
		t.Errorf("data %+v", res.Data)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("cache directory has %d entries", len(entries))
	}
}
