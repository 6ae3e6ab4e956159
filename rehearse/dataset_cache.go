package rehearse

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rehearse/rehearse/datagen"
	"github.com/rehearse/rehearse/internal/dbconn"
	"github.com/rehearse/rehearse/internal/dscache"
	"github.com/rehearse/rehearse/internal/human"
	"github.com/rehearse/rehearse/provider"
	"github.com/rehearse/rehearse/result"
)

// datasetCache is one rehearsal's use of the dataset cache: the entry its
// server started from (a hit), or the key to save its dataset under once
// loaded (a miss).
type datasetCache struct {
	cache *dscache.Cache
	tmpl  provider.Templater
	key   string
	// version is the server version the key was made with.
	version string
	// entry is the entry the server started from; nil on a miss.
	entry *dscache.Meta
}

// hit reports whether the server started on a copy of a cached dataset.
func (d *datasetCache) hit() bool { return d != nil && d.entry != nil }

// startServer starts the server on a copy of the cached dataset when the
// cache has it, else as the provider does (and sets r.dataset up to save
// the dataset after the load).
func (r *rehearsal) startServer(ctx context.Context, cfg provider.Config) (*provider.Instance, error) {
	r.dataset = r.openDatasetCache(ctx, cfg)
	if r.dataset == nil {
		return r.opts.provider.Start(ctx, cfg)
	}
	d := r.dataset
	e, err := d.cache.Lookup(d.key)
	if err != nil {
		r.logf("warning: dataset cache: %v\n", err)
	}
	if e == nil {
		r.logf("dataset cache: no saved dataset for this scenario (key %s); it is saved after the load\n", shortKey(d.key))
		return r.opts.provider.Start(ctx, cfg)
	}
	defer e.Close()
	began := time.Now()
	inst, err := d.tmpl.StartFrom(ctx, cfg, e.DataDir())
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, err
	case errors.Is(err, provider.ErrDatasetImageGone):
		// The entry can never start again: drop it, so that this run saves anew.
		e.Close()
		if _, rmErr := d.cache.Remove(d.key); rmErr != nil {
			r.logf("warning: dataset cache: %v\n", rmErr)
		}
		r.logf("dataset cache: %v; entry removed, loading the data (it is saved again after the load)\n", err)
		return r.opts.provider.Start(ctx, cfg)
	case err != nil:
		r.logf("warning: dataset cache: cannot start from %s (%v); loading the data instead\n", e.Dir, err)
		return r.opts.provider.Start(ctx, cfg)
	}
	d.entry = &e.Meta
	tables := append([]result.TableLoad{}, e.Tables...)
	r.data = result.Data{Tables: tables, Cached: true, LoadMS: time.Since(began).Milliseconds(), CacheKey: d.key}
	r.logf("dataset cache: started on a copy of the dataset saved %s (%s rows in %d tables, %s; key %s) in %s\n",
		e.Created.Local().Format("2006-01-02 15:04"), human.Count(e.Rows()), len(e.Tables), human.Bytes(e.SizeBytes),
		shortKey(d.key), time.Since(began).Round(time.Millisecond))
	return inst, nil
}

// openDatasetCache returns the run's cache and key, or nil when the cache
// is off, there is no data to cache, or the provider cannot start from a
// saved data directory (which it says, in one line).
func (r *rehearsal) openDatasetCache(ctx context.Context, cfg provider.Config) *datasetCache {
	if r.opts.cacheDir == "" || len(r.sc.Data.Tables) == 0 {
		return nil
	}
	tmpl, ok := r.opts.provider.(provider.Templater)
	if !ok {
		r.logf("dataset cache: not used with the %s provider (the local and container providers cache datasets)\n", providerName(r.opts.provider))
		return nil
	}
	version, err := tmpl.ServerVersion(ctx, cfg)
	if err != nil {
		return nil // Start reports what is wrong with the installation
	}
	c, err := dscache.Open(r.opts.cacheDir)
	if err != nil {
		r.logf("warning: dataset cache: %v; going without it\n", err)
		return nil
	}
	data := r.sc.Data
	key, err := dscache.Key(dscache.KeyInput{SchemaSQL: r.sc.SchemaSQL, Data: data, Seed: r.seed,
		ServerVersion: version, DatagenVersion: datagen.Version})
	if err != nil {
		r.logf("warning: dataset cache: %v; going without it\n", err)
		return nil
	}
	return &datasetCache{cache: c, tmpl: tmpl, key: key, version: version}
}

// saveDataset saves the loaded, checkpointed dataset after a miss: the
// server stops for the copy and starts again, and the setup connection is
// opened anew. Failing to save is a warning; failing to get the server
// back is an error.
func (r *rehearsal) saveDataset(ctx context.Context) error {
	d := r.dataset
	if d == nil || d.hit() {
		return nil
	}
	if _, local := d.tmpl.(*provider.Local); local && r.postgres.Version != d.version {
		v := r.postgres.Version
		r.logf("warning: dataset cache: the server reports version %q, its binaries %q; not saved\n", v, d.version)
		return nil
	}
	w, err := d.cache.Create(d.key)
	if err != nil {
		r.logf("warning: dataset cache: %v; not saved\n", err)
		return nil
	}
	defer w.Abort()
	began := time.Now()
	r.setup.Close(ctx)
	r.setup = nil
	size, snapErr := r.inst.Snapshot(ctx, w.DataDir())
	conn, err := dbconn.Connect(ctx, r.inst.DSN, dbconn.Setup)
	if err != nil {
		rmErr := provider.RemoveDatasetImage(ctx, provider.DatasetImageTag(w.DataDir()))
		return fmt.Errorf("after saving the dataset: %w", errors.Join(snapErr, err, rmErr))
	}
	r.setup = conn
	if snapErr != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.logf("warning: dataset cache: not saved: %v\n", snapErr)
		return nil
	}
	image := provider.DatasetImageTag(w.DataDir())
	meta, err := w.Commit(dscache.Meta{Scenario: r.sc.Name, ServerVersion: r.postgres.Version, DatagenVersion: datagen.Version,
		Seed: r.seed, Tables: r.data.Tables, LoadMS: r.data.LoadMS, SizeBytes: size, Image: image})
	if err != nil {
		// The entry is not kept, so neither is its image.
		if rmErr := provider.RemoveDatasetImage(ctx, image); rmErr != nil {
			r.logf("warning: dataset cache: %v\n", rmErr)
		}
	}
	switch {
	case errors.Is(err, dscache.ErrExists):
		r.logf("dataset cache: another rehearsal saved this dataset first (key %s)\n", shortKey(d.key))
	case err != nil:
		r.logf("warning: dataset cache: not saved: %v\n", err)
		return nil
	default:
		r.logf("dataset cache: saved %s in %s (key %s) to %s\n", human.Bytes(meta.SizeBytes),
			time.Since(began).Round(time.Millisecond), shortKey(d.key), d.cache.Dir())
	}
	r.data.CacheKey = d.key
	return nil
}

// shortKey is how progress lines name an entry; `rehearse cache ls` shows
// the same prefix.
func shortKey(key string) string { return key[:12] }

func providerName(p provider.Provider) string {
	switch p.(type) {
	case *provider.Container:
		return "container"
	case provider.DSN, *provider.DSN:
		return "dsn"
	}
	return "chosen"
}
