package provider

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// CloneModeEnv names the environment variable that chooses how StartFrom
// makes a run's data directory from a cached one: "auto" (the default: a
// reflink copy where the filesystem has them, else a full copy),
// "reflink", "overlay" or "copy". Overlay is never chosen by itself: it
// starts at once, but copies a whole file (up to a 1 GB segment of a
// table) on its first write, and that copy happens inside the measured
// rehearsal: 2.5–3.6 s for the first one-row UPDATE of a 1 GB table in
// docs/benchmarks.md.
const CloneModeEnv = "REHEARSE_CLONE_MODE"

// How StartFrom made a data directory, as its log line says.
const (
	cloneReflink = "reflink"
	cloneOverlay = "overlay"
	cloneCopy    = "copy"
)

// cloneDataDir makes c.dataDir() from template as CloneModeEnv says: a
// reflink copy (FICLONE: btrfs, XFS, bcachefs, ...) when template and c.dir
// share such a filesystem, an overlay mount with template as its read-only
// lower layer (root only; the template must belong to the server's user,
// as Snapshot leaves it) when asked for, else a full copy. It returns how,
// and a note for the log when auto fell back to a copy.
func (c *cluster) cloneDataDir(ctx context.Context, template string) (how, note string, err error) {
	mode := os.Getenv(CloneModeEnv)
	switch mode {
	case "", "auto":
		if err := canReflink(template, c.dir); err != nil {
			note = fmt.Sprintf("full copy of the cached data directory: %v; a cache directory and $TMPDIR on one btrfs or XFS "+
				"filesystem give copy-on-write starts (%s=overlay starts without a copy, but copies each file on its first write, during the rehearsal)",
				err, CloneModeEnv)
			break
		}
		mode = cloneReflink
	case cloneReflink:
		if err := canReflink(template, c.dir); err != nil {
			return "", "", fmt.Errorf("%s=reflink: %w", CloneModeEnv, err)
		}
	case cloneOverlay:
		if err := c.mountOverlay(template); err != nil {
			return "", "", fmt.Errorf("%s=overlay: %w", CloneModeEnv, err)
		}
		return cloneOverlay, "", nil
	case cloneCopy:
	default:
		return "", "", fmt.Errorf("%s=%q: want auto, reflink, overlay or copy", CloneModeEnv, mode)
	}
	if mode != cloneReflink {
		mode = cloneCopy
	}
	// copyFile clones each file where it can: the same walk makes both.
	_, err = copyDataDir(ctx, template, c.dataDir(), c.owner, nil, false)
	return mode, note, err
}

// canReflink clones template's PG_VERSION into dir and says why it could not.
func canReflink(template, dir string) error {
	in, err := os.Open(filepath.Join(template, "PG_VERSION"))
	if err != nil {
		return err
	}
	defer in.Close()
	probe := filepath.Join(dir, ".reflink-probe")
	out, err := os.OpenFile(probe, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer os.Remove(probe)
	defer out.Close()
	if err := unix.IoctlFileClone(int(out.Fd()), int(in.Fd())); err != nil {
		return fmt.Errorf("no reflinks from %s to %s (%v)", template, dir, err)
	}
	return nil
}

// mountOverlay mounts an overlay on c.dataDir(): template read-only below,
// c.dir/upper for what the run writes (a file is copied up whole on its
// first write: a 1 GB segment of a large table at once).
func (c *cluster) mountOverlay(template string) error {
	if os.Geteuid() != 0 {
		return errors.New("an overlay mount needs root")
	}
	if strings.ContainsAny(template+c.dir, ",:") {
		return errors.New("an overlay mount cannot name paths with ',' or ':'")
	}
	info, err := os.Stat(template)
	if err != nil {
		return err
	}
	if st, ok := info.Sys().(*syscall.Stat_t); ok && c.owner != nil && st.Uid != c.owner.Uid {
		return fmt.Errorf("the cached data directory is not the server user's (saved by an older version): no overlay")
	}
	upper, work := filepath.Join(c.dir, "upper"), filepath.Join(c.dir, "work")
	for _, d := range []string{upper, work, c.dataDir()} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return err
		}
	}
	// The merged root takes the upper root's owner and mode: PostgreSQL
	// checks both on its data directory.
	if err := os.Chmod(upper, info.Mode().Perm()); err != nil {
		return err
	}
	if err := c.chown(upper, c.dataDir()); err != nil {
		return err
	}
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", template, upper, work)
	if err := syscall.Mount("overlay", c.dataDir(), "overlay", 0, opts); err != nil {
		os.Remove(upper)
		os.Remove(work)
		os.Remove(c.dataDir())
		return fmt.Errorf("overlay mount not permitted (%v)", err)
	}
	c.mounted = c.dataDir()
	return nil
}

// remove unmounts the overlay, if any, and removes c.dir. The server must
// have stopped. Removing through a mount that would not go only whites
// files out in the upper layer: the cached template is never touched.
func (c *cluster) remove() {
	if c.mounted != "" {
		if err := syscall.Unmount(c.mounted, 0); err != nil {
			_ = syscall.Unmount(c.mounted, syscall.MNT_DETACH)
		}
		c.mounted = ""
	}
	os.RemoveAll(c.dir)
}

// isMounted says whether path is a mount point, from /proc/self/mountinfo.
func isMounted(path string) bool {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) > 4 && fields[4] == path {
			return true
		}
	}
	return false
}
