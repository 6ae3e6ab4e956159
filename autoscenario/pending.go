package autoscenario

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/rehearse/rehearse/scenarios/migrations"
)

// cut is where a directory splits into baseline and pending files.
type cut struct {
	// base is the version of the last baseline file; "0" when every file
	// is pending.
	base string
	// pending are the versioned files after base, in order.
	pending []migrations.File
	// how says in words why these files are pending.
	how string
	// changedRepeatable lists Flyway repeatable files that --since found
	// changed: they are applied with the baseline, as Flyway applies them
	// after the versioned files.
	changedRepeatable []string
}

// choose picks the pending files: those changed since the merge base with
// since (git), else the files after version from, else the last file.
func choose(d *migrations.Dir, dir, since, from string) (*cut, error) {
	if len(d.Files) == 0 {
		return nil, fmt.Errorf("%s holds no versioned migration files", dir)
	}
	switch {
	case since != "":
		return chooseSince(d, dir, since)
	case from != "":
		i, err := d.Index(from)
		if err != nil {
			return nil, fmt.Errorf("--from: %w", err)
		}
		if i == len(d.Files)-1 {
			return nil, fmt.Errorf("--from %s is the latest version of %s: no migration comes after it", from, dir)
		}
		return at(d, i, fmt.Sprintf("the files after version %s (--from)", from)), nil
	}
	return at(d, len(d.Files)-2, "the last file (give --since REF or --from VERSION to rehearse more)"), nil
}

// at cuts after Files[i] (i = -1: before the first file).
func at(d *migrations.Dir, i int, how string) *cut {
	c := &cut{base: "0", pending: d.Files[i+1:], how: how}
	if i >= 0 {
		c.base = d.Files[i].Version
	}
	return c
}

// chooseSince cuts before the oldest versioned file that git shows added
// or changed between the merge base of since and HEAD and the work tree
// (untracked files included): the pull request's files. Files after it
// are pending too, changed or not, since they run after it.
func chooseSince(d *migrations.Dir, dir, since string) (*cut, error) {
	changed, err := changedFiles(dir, since)
	if err != nil {
		return nil, err
	}
	c := &cut{}
	first := -1
	for i, f := range d.Files {
		if changed[filepath.Base(f.Path)] {
			first = i
			break
		}
	}
	for _, f := range d.Repeatable {
		if changed[filepath.Base(f.Path)] {
			c.changedRepeatable = append(c.changedRepeatable, f.Name)
		}
	}
	if first < 0 {
		return nil, fmt.Errorf("no migration file of %s was added or changed since the merge base with %s: nothing to rehearse (give --from VERSION to pick files yourself)", dir, since)
	}
	nc := at(d, first-1, fmt.Sprintf("the files added or changed since the merge base with %s (--since)", since))
	nc.changedRepeatable = c.changedRepeatable
	return nc, nil
}

// changedFiles lists the base names of files of dir that differ between
// the merge base of ref and HEAD, and the work tree, or are untracked.
func changedFiles(dir, ref string) (map[string]bool, error) {
	if _, err := git(dir, "rev-parse", "--show-toplevel"); err != nil {
		return nil, fmt.Errorf("--since needs %s to be in a git work tree: %w", dir, err)
	}
	base, err := git(dir, "merge-base", ref, "HEAD")
	if err != nil {
		return nil, fmt.Errorf("--since %s: no merge base with HEAD (is %s a branch, tag or commit of this repository?): %w", ref, ref, err)
	}
	diff, err := git(dir, "diff", "--name-only", "--no-renames", "--relative", strings.TrimSpace(base), "--", ".")
	if err != nil {
		return nil, fmt.Errorf("--since %s: %w", ref, err)
	}
	untracked, err := git(dir, "ls-files", "--others", "--exclude-standard", "--", ".")
	if err != nil {
		return nil, fmt.Errorf("--since %s: %w", ref, err)
	}
	out := map[string]bool{}
	for _, line := range strings.Split(diff+"\n"+untracked, "\n") {
		// Only the directory's own files are migrations: a file of a
		// subdirectory is not read by the tools either.
		if line = strings.TrimSpace(line); line != "" && !strings.Contains(line, "/") {
			out[line] = true
		}
	}
	return out, nil
}

// git runs the git binary in dir and returns its standard output; its
// error carries git's own message.
func git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if msg := strings.TrimSpace(stderr.String()); errors.As(err, &ee) && msg != "" {
			return "", errors.New(firstLine(msg))
		}
		return "", fmt.Errorf("git %s: %w", args[0], err)
	}
	return stdout.String(), nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// Pending returns the names of the pending files of dir (format "" detects
// it), chosen as Build chooses them: changed since the merge base with
// since, else after version from, else the last file. `rehearse lint
// --since` reports findings on these only; the files before them are
// context.
func Pending(dir, format, since, from string) ([]string, error) {
	f, err := migrations.ParseFormat(format)
	if err != nil {
		return nil, err
	}
	d, err := migrations.Read(dir, f)
	if err != nil {
		return nil, err
	}
	c, err := choose(d, dir, since, from)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(c.pending))
	for i, f := range c.pending {
		names[i] = f.Name
	}
	return names, nil
}
