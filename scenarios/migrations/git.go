package migrations

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// DefaultBaseRefs are tried in order when a cut "since" a ref is asked for
// without a ref: the remote's main branch first (a CI checkout of a pull
// request has it), then the local one.
var DefaultBaseRefs = []string{"origin/main", "main"}

// ChangedSince lists the base names of the files of dir that differ
// between the merge base of ref and HEAD, and the work tree, or are
// untracked: a pull request's files. Only the directory's own files
// count: the tools do not read its subdirectories either.
func ChangedSince(dir, ref string) (map[string]bool, error) {
	if _, err := git(dir, "rev-parse", "--show-toplevel"); err != nil {
		return nil, fmt.Errorf("%s is not in a git work tree: %w", dir, err)
	}
	base, err := MergeBase(dir, ref)
	if err != nil {
		return nil, err
	}
	diff, err := git(dir, "diff", "--name-only", "--no-renames", "--relative", base, "--", ".")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	untracked, err := git(dir, "ls-files", "--others", "--exclude-standard", "--", ".")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	out := map[string]bool{}
	for _, line := range strings.Split(diff+"\n"+untracked, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.Contains(line, "/") {
			out[line] = true
		}
	}
	return out, nil
}

// MergeBase is the commit where HEAD's branch left ref.
func MergeBase(dir, ref string) (string, error) {
	base, err := git(dir, "merge-base", ref, "HEAD")
	if err != nil {
		return "", fmt.Errorf("%s: no merge base with HEAD (is %s a branch, tag or commit of this repository?): %w", ref, ref, err)
	}
	return strings.TrimSpace(base), nil
}

// TextAt is the text of the file name of dir at commit rev; false when
// the file did not exist there.
func TextAt(dir, rev, name string) (string, bool, error) {
	obj := rev + ":./" + name
	if _, err := git(dir, "cat-file", "-e", obj); err != nil {
		return "", false, nil
	}
	text, err := git(dir, "show", obj)
	if err != nil {
		return "", false, fmt.Errorf("%s at %s: %w", name, rev, err)
	}
	return text, true, nil
}

// DefaultBaseRef returns the first of DefaultBaseRefs that names a commit
// in the repository of dir, or an error saying none does.
func DefaultBaseRef(dir string) (string, error) {
	for _, ref := range DefaultBaseRefs {
		if _, err := git(dir, "rev-parse", "--verify", "--quiet", ref+"^{commit}"); err == nil {
			return ref, nil
		}
	}
	if _, err := git(dir, "rev-parse", "--show-toplevel"); err != nil {
		return "", fmt.Errorf("%s is not in a git work tree: %w", dir, err)
	}
	return "", fmt.Errorf("no git ref to compare with: neither %s exists in the repository of %s", strings.Join(DefaultBaseRefs, " nor "), dir)
}

// SinceBase is the version the directory's history is cut at when the
// changed files (ChangedSince) are the pending ones: the version before
// the oldest changed versioned file ("0" when it is the first), or the
// latest version when none changed. Files after the oldest changed one
// are pending too, since they run after it.
func (d *Dir) SinceBase(changed map[string]bool) string {
	for i, f := range d.Files {
		if changed[filepath.Base(f.Path)] {
			if i == 0 {
				return "0"
			}
			return d.Files[i-1].Version
		}
	}
	if len(d.Files) == 0 {
		return "0"
	}
	return d.Files[len(d.Files)-1].Version
}

// git runs the git binary in dir and returns its standard output; its
// error carries the first line of git's own message.
func git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if msg := strings.TrimSpace(stderr.String()); errors.As(err, &ee) && msg != "" {
			if i := strings.IndexByte(msg, '\n'); i >= 0 {
				msg = msg[:i]
			}
			return "", errors.New(msg)
		}
		return "", fmt.Errorf("git %s: %w", args[0], err)
	}
	return stdout.String(), nil
}
