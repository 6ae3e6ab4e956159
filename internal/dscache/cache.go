// Package cache keeps loaded datasets for reuse: a data directory of a
// stopped PostgreSQL cluster per key, with a metadata file, under one cache
// directory. A rehearsal whose schema, data spec, seed, server version and
// datagen version are unchanged starts its server on a fresh copy of the
// cached directory instead of generating the data again.
//
// Layout: DIR/KEY/meta.json and DIR/KEY/data/ (the data directory). An
// entry is written in DIR/.tmp-KEY-*, then renamed into place, so that a
// reader never sees half an entry and two rehearsals saving the same key
// at once leave one. Readers hold a shared lock (flock) on DIR/KEY/lock
// while they copy; Prune removes only entries nobody holds. The package is
// safe for concurrent use, by goroutines and by processes.
package dscache

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
)

// FormatVersion is the version of the entry layout and of how a cached
// data directory is made. It is part of every key: changing how entries
// are made (the local provider's initdb options, say) must change it, so
// that old entries are never used.
const FormatVersion = 1

// DirEnv names the environment variable that overrides the cache directory.
const DirEnv = "REHEARSE_CACHE_DIR"

// File names inside an entry.
const (
	metaFile = "meta.json"
	dataDir  = "data"
	lockFile = "lock"
	tmpPref  = ".tmp-"
	trashPre = ".trash-"
)

// DefaultDir is $REHEARSE_CACHE_DIR, else $XDG_CACHE_HOME/rehearse, else
// ~/.cache/rehearse.
func DefaultDir() (string, error) {
	if dir := os.Getenv(DirEnv); dir != "" {
		return dir, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("find the cache directory (set %s): %w", DirEnv, err)
	}
	return filepath.Join(base, "rehearse"), nil
}

// KeyInput is what a cached dataset depends on.
type KeyInput struct {
	// SchemaSQL is the baseline schema as applied.
	SchemaSQL string
	// Data is the data spec, with the profile it read (Data.ProfileData).
	Data scenarios.Data
	// Seed is the seed the data was generated with (it overrides Data.Seed).
	Seed int64
	// ServerVersion is the server's server_version ("15.18 (Debian ...)").
	ServerVersion string
	// DatagenVersion is datagen.Version.
	DatagenVersion string
}

// Key is the hex SHA-256 of the inputs' canonical JSON (struct fields in
// order, map keys sorted) and FormatVersion.
func Key(in KeyInput) (string, error) {
	in.Data.Seed = in.Seed
	canonical, err := json.Marshal(struct {
		Format int      `json:"format"`
		Input  KeyInput `json:"input"`
	}{FormatVersion, in})
	if err != nil {
		return "", fmt.Errorf("cache key: %w", err)
	}
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:]), nil
}

// Meta describes an entry; it is its meta.json.
type Meta struct {
	Format         int       `json:"format"`
	Key            string    `json:"key"`
	Scenario       string    `json:"scenario"`
	Created        time.Time `json:"created"`
	ServerVersion  string    `json:"server_version"`
	DatagenVersion string    `json:"datagen_version"`
	Seed           int64     `json:"seed"`
	// SizeBytes is the size of the cached data directory, or of the image
	// layer holding it.
	SizeBytes int64 `json:"size_bytes"`
	// Image is the container image holding the dataset, for an entry the
	// container provider saved (its data directory then holds only a
	// record of the image); "" for a data directory.
	Image string `json:"image,omitempty"`
	// Tables and LoadMS are what the load that made the dataset reported.
	Tables []result.TableLoad `json:"tables"`
	LoadMS int64              `json:"load_ms"`
}

// Rows is the total of the tables' rows.
func (m Meta) Rows() int64 {
	var n int64
	for _, t := range m.Tables {
		n += t.Rows
	}
	return n
}

// Cache is a cache directory.
type Cache struct {
	dir string
}

// Open returns the cache in dir, creating it (mode 0700: it holds data)
// when it does not exist.
func Open(dir string) (*Cache, error) {
	if dir == "" {
		return nil, errors.New("open cache: no directory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open cache: %w", err)
	}
	return &Cache{dir: dir}, nil
}

// Dir is the cache directory.
func (c *Cache) Dir() string { return c.dir }

// Entry is a cached dataset. One returned by Lookup holds a shared lock,
// so that Prune leaves it alone, until Close.
type Entry struct {
	Meta
	// Dir is the entry's directory.
	Dir string
	// LastUsed is when a rehearsal last started from the entry (or when it
	// was saved).
	LastUsed time.Time
	lock     *os.File
}

// DataDir is the cached data directory: to be copied, never used in place.
func (e *Entry) DataDir() string { return filepath.Join(e.Dir, dataDir) }

// Close releases the entry's lock.
func (e *Entry) Close() error {
	if e == nil || e.lock == nil {
		return nil
	}
	err := e.lock.Close()
	e.lock = nil
	return err
}

// ValidKey reports whether key looks like one Key returns, so that a key
// given on a command line cannot name a path outside the cache.
func ValidKey(key string) bool {
	if len(key) != sha256.Size*2 {
		return false
	}
	_, err := hex.DecodeString(key)
	return err == nil && strings.ToLower(key) == key
}

// Lookup returns the entry of key, locked until Close, and records the
// use; nil and no error when there is none.
func (c *Cache) Lookup(key string) (*Entry, error) {
	if !ValidKey(key) {
		return nil, fmt.Errorf("cache lookup: bad key %q", key)
	}
	dir := filepath.Join(c.dir, key)
	lock, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cache lookup: %w", err)
	}
	if err := flock(lock, syscall.LOCK_SH); err != nil {
		lock.Close()
		return nil, fmt.Errorf("cache lookup: lock: %w", err)
	}
	// Prune may have moved the entry away while we waited for the lock.
	e, err := readEntry(dir)
	if errors.Is(err, os.ErrNotExist) {
		lock.Close()
		return nil, nil
	}
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("cache lookup: %w", err)
	}
	now := time.Now()
	_ = os.Chtimes(lock.Name(), now, now)
	e.LastUsed, e.lock = now, lock
	return e, nil
}

func readEntry(dir string) (*Entry, error) {
	raw, err := os.ReadFile(filepath.Join(dir, metaFile))
	if err != nil {
		return nil, err
	}
	e := &Entry{Dir: dir}
	if err := json.Unmarshal(raw, &e.Meta); err != nil {
		return nil, fmt.Errorf("read %s: %w", filepath.Join(dir, metaFile), err)
	}
	if info, err := os.Stat(filepath.Join(dir, lockFile)); err == nil {
		e.LastUsed = info.ModTime()
	}
	return e, nil
}

// Writer saves one entry: the caller fills DataDir (its files on disk:
// fsynced), then calls Commit (or Abort). The temporary directory is locked until then, so that Prune
// does not take it for the leftover of a crashed rehearsal.
type Writer struct {
	c    *Cache
	key  string
	tmp  string
	lock *os.File
}

// Create starts an entry for key in a temporary directory.
func (c *Cache) Create(key string) (*Writer, error) {
	if !ValidKey(key) {
		return nil, fmt.Errorf("cache save: bad key %q", key)
	}
	tmp, err := os.MkdirTemp(c.dir, tmpPref+key[:12]+"-")
	if err != nil {
		return nil, fmt.Errorf("cache save: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(tmp, lockFile), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		err = flock(lock, syscall.LOCK_EX)
	}
	if err != nil {
		if lock != nil {
			lock.Close()
		}
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("cache save: %w", err)
	}
	return &Writer{c: c, key: key, tmp: tmp, lock: lock}, nil
}

// DataDir is where the data directory goes; it does not exist yet.
func (w *Writer) DataDir() string { return filepath.Join(w.tmp, dataDir) }

// ErrExists is returned by Commit when another rehearsal saved the same key
// first; the entry in place is kept and this one dropped.
var ErrExists = errors.New("the dataset cache already has this entry")

// Commit writes meta (Format, Key, Created and, unless set, SizeBytes
// filled in) and moves the entry into place.
func (w *Writer) Commit(meta Meta) (*Meta, error) {
	defer w.Abort()
	if meta.SizeBytes <= 0 {
		size, err := dirSize(w.DataDir())
		if err != nil {
			return nil, fmt.Errorf("cache save: %w", err)
		}
		meta.SizeBytes = size
	}
	meta.Format, meta.Key = FormatVersion, w.key
	if meta.Created.IsZero() {
		meta.Created = time.Now().UTC()
	}
	raw, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("cache save: %w", err)
	}
	if err := writeSynced(filepath.Join(w.tmp, metaFile), append(raw, '\n')); err != nil {
		return nil, fmt.Errorf("cache save: %w", err)
	}
	final := filepath.Join(w.c.dir, w.key)
	if err := os.Rename(w.tmp, final); err != nil {
		if _, statErr := os.Stat(filepath.Join(final, metaFile)); statErr == nil {
			return nil, ErrExists
		}
		return nil, fmt.Errorf("cache save: %w", err)
	}
	w.tmp = final // nothing left for Abort to remove
	// The rename must reach the disk too, or a crash could lose the entry
	// (harmless) after its directory's contents were flushed.
	if d, err := os.Open(w.c.dir); err == nil {
		d.Sync()
		d.Close()
	}
	return &meta, nil
}

// writeSynced writes a file and fsyncs it: the metadata says the entry is
// whole, so it must not reach the disk before the data it describes.
func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Abort drops an entry not committed; after Commit it only releases the lock.
func (w *Writer) Abort() {
	if w.lock != nil {
		w.lock.Close()
		w.lock = nil
	}
	if w.tmp != filepath.Join(w.c.dir, w.key) {
		os.RemoveAll(w.tmp)
	}
}

func dirSize(dir string) (int64, error) {
	var size int64
	err := filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if info.Mode().IsRegular() {
			size += info.Size()
		}
		return nil
	})
	return size, err
}

// flock takes a lock on f, waiting for it (how is LOCK_SH or LOCK_EX,
// optionally with LOCK_NB).
func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}
