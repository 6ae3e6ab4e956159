package migrations

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Dir is a migration directory as its tool sees it.
type Dir struct {
	// Path is the directory as given to Read.
	Path string
	// Format is the format the files were read as (never Auto).
	Format Format
	// Files are the versioned migrations, in version order.
	Files []File
	// Repeatable are Flyway's repeatable migrations, in name order.
	Repeatable []File
}

var (
	golangMigrateName = regexp.MustCompile(`^([0-9]+)_(.*)\.(up|down)\.sql$`)
	flywayName        = regexp.MustCompile(`^([VR])([^_]*(?:_[^_]+)*?)__(.+)\.sql$`)
	flywayVersion     = regexp.MustCompile(`^[0-9]+([._][0-9]+)*$`)
	leadingNumber     = regexp.MustCompile(`^([0-9]+)`)
	plainName         = regexp.MustCompile(`^([0-9]+)([_.\-].*)?\.sql$`)
	gooseAnnotation   = regexp.MustCompile(`(?i)^\s*--\s*\+goose\s+(.*?)\s*$`)
	dbmateAnnotation  = regexp.MustCompile(`^\s*--\s*migrate:(up|down)\b(.*)$`)
)

// Read reads the migration directory dir in the given format (Auto detects
// it). Problems with files (a goose file without -- +goose Up, two files of
// the same version, ...) come back together as an *Error.
func Read(dir string, format Format) (*Dir, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	contents := map[string]string{}
	for _, name := range names {
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", filepath.Join(dir, name), err)
		}
		contents[name] = string(data)
	}
	if format == Auto {
		if format, err = detect(dir, names, contents); err != nil {
			return nil, err
		}
	}
	r := &reader{dir: dir, contents: contents, out: &Dir{Path: dir, Format: format}}
	for _, name := range names {
		r.file(format, name)
	}
	r.checkVersions()
	sort.SliceStable(r.out.Files, func(i, j int) bool {
		return CompareVersions(r.out.Files[i].Version, r.out.Files[j].Version) < 0
	})
	if err := errorOf(r.problems); err != nil {
		return nil, err
	}
	return r.out, nil
}

// ReadFile reads one migration file. Auto detects its format from its name
// and content, falling back to plain SQL; a golang-migrate .down.sql file is
// read like an up file.
func ReadFile(path string, format Format) (File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return File{}, fmt.Errorf("%s: %w", path, err)
	}
	dir, name := filepath.Split(path)
	text := string(data)
	if format == Auto {
		format = detectFile(name, text)
	}
	r := &reader{dir: filepath.Clean(dir), contents: map[string]string{name: text}, out: &Dir{Format: format}, single: true}
	r.file(format, name)
	if err := errorOf(r.problems); err != nil {
		return File{}, err
	}
	files := append(r.out.Files, r.out.Repeatable...)
	if len(files) == 0 {
		return File{}, fmt.Errorf("%s: not a %s migration file", path, format)
	}
	f := files[0]
	f.Path = path
	return f, nil
}

// detect works out a directory's format from file names and annotations.
func detect(dir string, names []string, contents map[string]string) (Format, error) {
	seen := map[Format]bool{}
	numbered := false
	for _, name := range names {
		switch {
		case golangMigrateName.MatchString(name):
			seen[GolangMigrate] = true
		case isFlywayVersioned(name):
			seen[Flyway] = true
		}
		text, ok := contents[name]
		if !ok {
			continue
		}
		numbered = numbered || plainName.MatchString(name)
		if hasGooseAnnotation(text) {
			seen[Goose] = true
		}
		if hasDbmateAnnotation(text) {
			seen[Dbmate] = true
		}
	}
	var found []string
	for _, f := range Formats() {
		if seen[f] {
			found = append(found, string(f))
		}
	}
	switch {
	case len(found) == 1:
		return Format(found[0]), nil
	case len(found) > 1:
		return "", fmt.Errorf("%s: cannot tell the migration format, the files look like %s: set format", dir, strings.Join(found, " and "))
	case numbered:
		return Plain, nil
	}
	return "", fmt.Errorf("%s: no migration files (.sql) found", dir)
}

func detectFile(name, text string) Format {
	switch {
	case golangMigrateName.MatchString(name):
		return GolangMigrate
	case flywayName.MatchString(name):
		return Flyway
	case hasGooseAnnotation(text):
		return Goose
	case hasDbmateAnnotation(text):
		return Dbmate
	}
	return Plain
}

func isFlywayVersioned(name string) bool {
	m := flywayName.FindStringSubmatch(name)
	return m != nil && m[1] == "V" && flywayVersion.MatchString(m[2])
}

func hasGooseAnnotation(text string) bool {
	for _, line := range strings.Split(text, "\n") {
		if gooseAnnotation.MatchString(line) {
			return true
		}
	}
	return false
}

func hasDbmateAnnotation(text string) bool {
	for _, line := range strings.Split(text, "\n") {
		if m := dbmateAnnotation.FindStringSubmatch(line); m != nil && m[1] == "up" {
			return true
		}
	}
	return false
}

// reader gathers the files and problems of one directory.
type reader struct {
	dir      string
	contents map[string]string // .sql files by name
	out      *Dir
	problems []Problem
	single   bool // ReadFile: a lone file, whatever its name
}

func (r *reader) path(name string) string { return filepath.Join(r.dir, name) }

func (r *reader) addf(name string, line int, format string, args ...any) {
	r.problems = append(r.problems, Problem{File: r.path(name), Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (r *reader) file(format Format, name string) {
	switch format {
	case GolangMigrate:
		r.golangMigrate(name)
	case Goose:
		r.goose(name)
	case Flyway:
		r.flyway(name)
	case Dbmate:
		r.dbmate(name)
	case Plain:
		r.plain(name)
	}
}

func (r *reader) add(name string, f File) {
	f.Path, f.Format = r.path(name), r.out.Format
	if f.Repeatable {
		r.out.Repeatable = append(r.out.Repeatable, f)
		return
	}
	r.out.Files = append(r.out.Files, f)
}

// golangMigrate: N_name.up.sql is the whole migration, sent as one query;
// .down.sql and files golang-migrate cannot parse are ignored, as it does.
func (r *reader) golangMigrate(name string) {
	m := golangMigrateName.FindStringSubmatch(name)
	if m == nil || (m[3] != "up" && !r.single) {
		return
	}
	stem := strings.TrimSuffix(name, ".sql")
	if m[3] == "up" {
		stem = strings.TrimSuffix(name, ".up.sql")
	}
	r.add(name, File{Version: m[1], Name: stem, SQL: r.contents[name], Line: 1, Tx: OneQuery})
}

// plain: numbered .sql files, each wholly "up".
func (r *reader) plain(name string) {
	text, ok := r.contents[name]
	if !ok {
		return
	}
	stem := strings.TrimSuffix(name, ".sql")
	m := plainName.FindStringSubmatch(name)
	if m == nil && !r.single {
		r.addf(name, 0, "cannot order this file: name plain SQL migrations with a leading number (001_create_users.sql)")
		return
	}
	version := ""
	if m != nil {
		version = m[1]
	}
	r.add(name, File{Version: version, Name: stem, SQL: text, Line: 1, Tx: Detect})
}

// flyway: V<version>__<description>.sql and R__<description>.sql; a
// <file>.conf beside a file may set executeInTransaction=false. Other files
// (undo migrations, callbacks) are ignored.
func (r *reader) flyway(name string) {
	m := flywayName.FindStringSubmatch(name)
	text, ok := r.contents[name]
	if m == nil || !ok {
		return
	}
	stem := strings.TrimSuffix(name, ".sql")
	f := File{Name: stem, SQL: text, Line: 1, Tx: Detect}
	switch {
	case m[1] == "R" && m[2] == "":
		f.Repeatable = true
	case m[1] == "V" && flywayVersion.MatchString(m[2]):
		f.Version = strings.ReplaceAll(m[2], "_", ".")
	default:
		r.addf(name, 0, "cannot read the version of this Flyway migration: name it V<number>__<description>.sql (V2__add_users.sql, V2.1__add_index.sql)")
		return
	}
	noTx, err := flywayNoTransaction(r.path(name) + ".conf")
	if err != nil {
		r.addf(name+".conf", 0, "%v", err)
	}
	if noTx {
		f.Tx = NoTransaction
	}
	r.add(name, f)
}

// flywayNoTransaction reads a Flyway script configuration file, if any.
func flywayNoTransaction(path string) (bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("cannot read: %w", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		key, value, ok := strings.Cut(line, "=")
		if ok && strings.TrimSpace(key) == "executeInTransaction" {
			return strings.EqualFold(strings.TrimSpace(value), "false"), nil
		}
	}
	return false, nil
}

// dbmate: files whose name starts with a number, with a -- migrate:up
// section (options such as transaction:false on the same line) and an
// optional -- migrate:down section.
func (r *reader) dbmate(name string) {
	text, ok := r.contents[name]
	m := leadingNumber.FindStringSubmatch(name)
	if !ok || (m == nil && !r.single) {
		return
	}
	f := File{Name: strings.TrimSuffix(name, ".sql"), Tx: InTransaction}
	if m != nil {
		f.Version = m[1]
	}
	lines := strings.Split(text, "\n")
	up, down := -1, len(lines)
	for i, line := range lines {
		a := dbmateAnnotation.FindStringSubmatch(line)
		switch {
		case a == nil && up < 0 && !isBlankOrComment(line):
			r.addf(name, i+1, "SQL before -- migrate:up: dbmate only runs what follows it")
			return
		case a == nil:
		case a[1] == "up" && up >= 0:
			r.addf(name, i+1, "a second -- migrate:up")
			return
		case a[1] == "up":
			up = i
			for _, opt := range strings.Fields(a[2]) {
				if k, v, _ := strings.Cut(opt, ":"); k == "transaction" && v == "false" {
					f.Tx = OneQuery
				}
			}
		case a[1] == "down" && up >= 0:
			down = i
		case a[1] == "down":
			r.addf(name, i+1, "-- migrate:down before -- migrate:up")
			return
		}
		if down < len(lines) {
			break
		}
	}
	if up < 0 {
		r.addf(name, 0, "no -- migrate:up line: dbmate needs one before the up migration")
		return
	}
	f.SQL, f.Line = strings.Join(lines[up+1:down], "\n"), up+2
	r.add(name, f)
}

// checkVersions reports two migrations of the same version, which every
// tool refuses.
func (r *reader) checkVersions() {
	byVersion := map[string]string{}
	for _, f := range r.out.Files {
		key := versionKey(f.Version)
		if prev, dup := byVersion[key]; dup {
			r.problems = append(r.problems, Problem{File: f.Path,
				Msg: fmt.Sprintf("version %s is also the version of %s: each migration needs its own", f.Version, prev)})
			continue
		}
		byVersion[key] = f.Path
	}
}

func isBlankOrComment(line string) bool {
	t := strings.TrimSpace(line)
	return t == "" || strings.HasPrefix(t, "--")
}
