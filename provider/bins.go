package provider

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// BinDirEnv names the environment variable that points at a PostgreSQL bin
// directory (the one holding initdb and postgres); it wins over every search.
const BinDirEnv = "REHEARSE_PG_BIN"

// debianGlob is where Debian and Ubuntu install each major version side by side.
const debianGlob = "/usr/lib/postgresql/*/bin"

// ErrNoBinaries means no PostgreSQL server installation was found.
var ErrNoBinaries = errors.New("no PostgreSQL server binaries found (looked at $" + BinDirEnv +
	", PATH, pg_config --bindir and " + debianGlob + "); install them (Debian/Ubuntu: apt-get install -y postgresql) or set " + BinDirEnv)

// BinDir is one PostgreSQL installation: a directory with initdb and postgres.
type BinDir struct {
	Path  string
	Major int // 0 when the version could not be read from the path
}

// FindBinDirs lists the installations it can see, in order of preference:
// $REHEARSE_PG_BIN, then initdb on PATH, then pg_config --bindir, then the
// Debian layout, newest major first. Duplicates are removed.
func FindBinDirs() []BinDir {
	var candidates []string
	if dir := os.Getenv(BinDirEnv); dir != "" {
		candidates = append(candidates, dir)
	}
	if initdb, err := exec.LookPath("initdb"); err == nil {
		candidates = append(candidates, filepath.Dir(resolve(initdb)))
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		candidates = append(candidates, strings.TrimSpace(string(out)))
	}
	debian, _ := filepath.Glob(debianGlob)
	sort.Slice(debian, func(i, j int) bool { return majorOf(debian[i]) > majorOf(debian[j]) })
	candidates = append(candidates, debian...)

	seen := map[string]bool{}
	var dirs []BinDir
	for _, dir := range candidates {
		dir = resolve(dir)
		if seen[dir] || !isServerBinDir(dir) {
			continue
		}
		seen[dir] = true
		dirs = append(dirs, BinDir{Path: dir, Major: majorOf(dir)})
	}
	return dirs
}

// FindBinDir returns the preferred installation, of the given major version
// when version is not "".
func FindBinDir(version string) (BinDir, error) {
	dirs := FindBinDirs()
	if len(dirs) == 0 {
		return BinDir{}, ErrNoBinaries
	}
	if version == "" {
		return dirs[0], nil
	}
	want, err := strconv.Atoi(strings.SplitN(version, ".", 2)[0])
	if err != nil {
		return BinDir{}, fmt.Errorf("postgres version %q: want a major version such as 15", version)
	}
	var have []string
	for _, d := range dirs {
		if d.Major == want {
			return d, nil
		}
		have = append(have, fmt.Sprintf("%s (%s)", d.Path, majorText(d.Major)))
	}
	return BinDir{}, fmt.Errorf("PostgreSQL %d is not installed locally; found %s", want, strings.Join(have, ", "))
}

func isServerBinDir(dir string) bool {
	for _, name := range []string{"initdb", "postgres"} {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

func resolve(path string) string {
	if real, err := filepath.EvalSymlinks(path); err == nil {
		return real
	}
	return path
}

// majorOf reads the major version from a path like /usr/lib/postgresql/15/bin,
// falling back to `postgres --version`.
func majorOf(dir string) int {
	if n, err := strconv.Atoi(filepath.Base(filepath.Dir(dir))); err == nil {
		return n
	}
	out, err := exec.Command(filepath.Join(dir, "postgres"), "--version").Output()
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(out)) // "postgres (PostgreSQL) 15.18 (Debian ...)"
	if len(fields) < 3 {
		return 0
	}
	n, _ := strconv.Atoi(strings.SplitN(fields[2], ".", 2)[0])
	return n
}

func majorText(major int) string {
	if major == 0 {
		return "unknown version"
	}
	return strconv.Itoa(major)
}
