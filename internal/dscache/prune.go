package dscache

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// List returns the cache's entries, most recently used first. Entries
// being written are not listed; an entry whose metadata cannot be read is
// listed with its key only.
func (c *Cache) List() ([]Entry, error) {
	dirs, err := os.ReadDir(c.dir)
	if err != nil {
		return nil, fmt.Errorf("list cache: %w", err)
	}
	var out []Entry
	for _, d := range dirs {
		if !d.IsDir() || !ValidKey(d.Name()) {
			continue
		}
		dir := filepath.Join(c.dir, d.Name())
		e, err := readEntry(dir)
		if errors.Is(err, os.ErrNotExist) {
			continue // pruned meanwhile
		}
		if err != nil {
			e = &Entry{Dir: dir, Meta: Meta{Key: d.Name()}}
		}
		out = append(out, *e)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].LastUsed.After(out[j].LastUsed) })
	return out, nil
}

// PruneOptions says what Prune removes. Entries in use (a rehearsal is
// copying from them) are never removed.
type PruneOptions struct {
	// OlderThan removes entries not used for longer than this; 0 sets no
	// age limit.
	OlderThan time.Duration
	// MaxSize removes the least recently used entries until the others
	// total at most this many bytes; 0 sets no size limit.
	MaxSize int64
	// All removes every entry.
	All bool
	// Now is when ages are measured from (zero: now).
	Now time.Time
	// Release, when set, is called with an entry's data directory before
	// the entry is removed, to remove what lives outside the cache (the
	// container provider's image). An error wrapping ErrInUse keeps the
	// entry as in use; another keeps it and is returned.
	Release func(dataDir string) error
}

// ErrInUse is what PruneOptions.Release wraps when something outside the
// cache still uses an entry.
var ErrInUse = errors.New("in use")

// Pruned is what Prune did.
type Pruned struct {
	Removed []Entry
	// InUse are entries Prune would have removed but a rehearsal held.
	InUse []Entry
	Kept  []Entry
	// Leftovers counts the temporary directories of rehearsals that died
	// while saving, removed.
	Leftovers int
}

// Prune removes entries by age and total size, and what crashed
// rehearsals left behind.
func (c *Cache) Prune(o PruneOptions) (Pruned, error) {
	var res Pruned
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	entries, err := c.List()
	if err != nil {
		return res, err
	}
	var kept int64
	var errs []error
	for _, e := range entries {
		tooOld := o.OlderThan > 0 && o.Now.Sub(e.LastUsed) > o.OlderThan
		tooBig := o.MaxSize > 0 && kept+e.SizeBytes > o.MaxSize
		if !o.All && !tooOld && !tooBig {
			kept += e.SizeBytes
			res.Kept = append(res.Kept, e)
			continue
		}
		switch removed, err := c.remove(e.Dir, o.Release); {
		case err != nil:
			errs = append(errs, err)
			res.Kept = append(res.Kept, e)
		case removed:
			res.Removed = append(res.Removed, e)
		default:
			kept += e.SizeBytes
			res.InUse = append(res.InUse, e)
		}
	}
	n, err := c.removeLeftovers(o.Now)
	res.Leftovers = n
	return res, errors.Join(append(errs, err)...)
}

// Remove deletes the entry of key unless a reader holds it (removed is
// false then, as when there is none).
func (c *Cache) Remove(key string) (removed bool, err error) {
	if !ValidKey(key) {
		return false, fmt.Errorf("cache remove: bad key %q", key)
	}
	return c.remove(filepath.Join(c.dir, key), nil)
}

// remove deletes an entry unless a reader holds it, or release says it is
// in use; removed is false then.
func (c *Cache) remove(dir string, release func(dataDir string) error) (removed bool, err error) {
	lock, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("prune %s: %w", dir, err)
	}
	defer lock.Close()
	if err := flock(lock, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return false, nil
		}
		return false, fmt.Errorf("prune %s: lock: %w", dir, err)
	}
	if release != nil {
		if err := release(filepath.Join(dir, dataDir)); errors.Is(err, ErrInUse) {
			return false, nil
		} else if err != nil {
			return false, fmt.Errorf("prune %s: %w", dir, err)
		}
	}
	// Out of the way first: a reader that opens the lock from now on finds nothing.
	trash, err := os.MkdirTemp(c.dir, trashPre)
	if err != nil {
		return false, fmt.Errorf("prune %s: %w", dir, err)
	}
	moved := filepath.Join(trash, filepath.Base(dir))
	if err := os.Rename(dir, moved); err != nil {
		os.Remove(trash)
		return false, fmt.Errorf("prune %s: %w", dir, err)
	}
	if err := os.RemoveAll(trash); err != nil {
		return true, fmt.Errorf("prune %s: %w", dir, err)
	}
	return true, nil
}

// leftoverAge is how old a temporary directory without a lock file must be
// before Prune takes it for a crashed rehearsal's (the lock is created
// right after the directory).
const leftoverAge = time.Hour

// removeLeftovers removes temporary directories nobody holds: rehearsals
// that died while saving, and prunes that died while removing.
func (c *Cache) removeLeftovers(now time.Time) (int, error) {
	dirs, err := os.ReadDir(c.dir)
	if err != nil {
		return 0, fmt.Errorf("prune: %w", err)
	}
	n := 0
	var errs []error
	for _, d := range dirs {
		name := d.Name()
		if !d.IsDir() || !(strings.HasPrefix(name, tmpPref) || strings.HasPrefix(name, trashPre)) {
			continue
		}
		dir := filepath.Join(c.dir, name)
		if strings.HasPrefix(name, tmpPref) && !abandoned(dir, now) {
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			errs = append(errs, fmt.Errorf("prune %s: %w", dir, err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// abandoned reports whether a temporary entry's writer is gone: its lock
// is free (a lock dies with its process), or it never got one and is old.
func abandoned(dir string, now time.Time) bool {
	lock, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR, 0)
	if err != nil {
		info, statErr := os.Stat(dir)
		return errors.Is(err, os.ErrNotExist) && statErr == nil && now.Sub(info.ModTime()) > leftoverAge
	}
	defer lock.Close()
	return flock(lock, syscall.LOCK_EX|syscall.LOCK_NB) == nil
}
