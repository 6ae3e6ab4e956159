package autoscenario

import (
	"fmt"
	"path/filepath"

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

// changedFiles lists the base names of files of dir changed since the
// merge base with ref (migrations.ChangedSince).
func changedFiles(dir, ref string) (map[string]bool, error) {
	changed, err := migrations.ChangedSince(dir, ref)
	if err != nil {
		return nil, fmt.Errorf("--since: %w", err)
	}
	return changed, nil
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
