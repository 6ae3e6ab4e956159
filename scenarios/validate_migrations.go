package scenarios

import (
	"errors"
	"path/filepath"
	"strings"

	"github.com/rehearse/rehearse/scenarios/migrations"
)

// checkSchemaMigrations checks schema.migrations and builds the baseline
// from the directory: Baseline gets one step per file up to `to`, SchemaSQL
// their statements. It returns false when the scenario does not use it.
func (c *checker) checkSchemaMigrations(p keyPath) bool {
	m := c.s.Schema.Migrations
	if m == nil {
		return false
	}
	mp := p.key("migrations")
	if c.s.Schema.File != "" || c.s.Schema.SQL != "" {
		c.addf(p, "give one of file, sql or migrations")
		return true
	}
	if m.From != "" {
		c.addf(mp.key("from"), "applies to migration.migrations only; the baseline is the directory up to `to`")
	}
	if m.steps == nil && !c.expandSchemaMigrations(mp, m) {
		return true
	}
	sql, offsets := baselineSQL(m.steps)
	m.offsets = offsets
	c.s.Baseline, c.s.SchemaSQL, c.s.SchemaFile, c.s.SchemaLine = m.steps, sql, m.shown, 0
	c.s.schemaSrc = textSource{file: m.shown}
	cat, err := ParseSchema(sql)
	if err != nil {
		c.addSQLError(mp.key("dir"), c.s.schemaSrc, sql, err)
		return true
	}
	c.base = cat
	return true
}

// expandSchemaMigrations reads the baseline files; false on a problem.
func (c *checker) expandSchemaMigrations(mp keyPath, m *MigrationDir) bool {
	d := c.readMigrationDir(mp, m)
	if d == nil {
		return false
	}
	to, ok := string(m.To), true
	if mig := c.s.Migration.Migrations; to == "" && mig != nil && (mig.Dir == "" || c.sameDir(mig.Dir, m.Dir)) {
		if to = string(mig.From); to == "" {
			c.addf(mp, "give to: the version production is at; migration.migrations rehearses the migrations after it")
			return false
		}
	}
	if to == MigrationBase {
		if to, ok = c.resolveBase(mp.key("to"), m, d); !ok {
			return false
		}
		m.To = MigrationVersion(to)
	}
	files, err := d.Between("", to)
	if err != nil {
		c.addf(mp.key("to"), "%v", err)
		return false
	}
	repeatable, ok := c.baselineRepeatables(mp, m, d)
	if !ok {
		return false
	}
	files = append(files, repeatable...)
	files, m.leftOut = withoutGoMigrations(files)
	steps, ok := c.fileSteps(files)
	if !ok {
		return false
	}
	m.steps = steps
	return true
}

// withoutGoMigrations leaves goose migrations written in Go out of a
// baseline, and names them: their SQL is in Go code that rehearse does not
// run. Most change data, not the schema; when one does change the schema, a
// later file fails on what it did not create, with that file's position. A
// pending migration written in Go is still refused: it cannot be rehearsed.
func withoutGoMigrations(files []migrations.File) (kept []migrations.File, leftOut []string) {
	for _, f := range files {
		if f.GoMigration {
			leftOut = append(leftOut, filepath.Base(f.Path))
			continue
		}
		kept = append(kept, f)
	}
	return kept, leftOut
}

// checkMigrationMigrations checks migration.migrations and makes
// migration.steps one step per file after `from`, up to `to`. It returns
// false when the scenario does not use it.
func (c *checker) checkMigrationMigrations() bool {
	m := c.s.Migration.Migrations
	if m == nil {
		return false
	}
	var cat *Catalog
	if c.base != nil {
		cat = c.base.Clone()
	}
	if m.steps == nil {
		c.expandMigrationMigrations(root().key("migration"), m)
	}
	for i, st := range m.steps {
		c.steps[st.Name] = i
		if cat != nil {
			_ = cat.Apply(st.SQL) // parse errors were reported with the file's lines
		}
	}
	c.checkRollback(cat)
	return true
}

func (c *checker) expandMigrationMigrations(p keyPath, m *MigrationDir) {
	mp := p.key("migrations")
	if len(c.s.Migration.Steps) > 0 {
		c.addf(p.key("steps"), "give either steps or migrations, not both")
		return
	}
	base := c.s.Schema.Migrations
	if m.Dir == "" && base != nil {
		m.Dir = base.Dir
		if m.Format == "" {
			m.Format = base.Format
		}
	}
	d := c.readMigrationDir(mp, m)
	if d == nil {
		return
	}
	from := string(m.From)
	if from == MigrationBase {
		var ok bool
		if from, ok = c.resolveBase(mp.key("from"), m, d); !ok {
			return
		}
		m.From = MigrationVersion(from)
	}
	if base != nil && c.sameDir(m.Dir, base.Dir) {
		switch {
		case from == "":
			from = string(base.To)
		case base.To != "" && migrations.CompareVersions(from, string(base.To)) != 0:
			c.addf(mp.key("from"), "must be schema.migrations.to (%s): the baseline is the same directory up to that version", base.To)
			return
		}
	}
	files, err := d.Between(from, string(m.To))
	if cut := m.cut; err == nil && (cut != nil || base != nil && c.sameDir(m.Dir, base.Dir)) {
		if cut == nil {
			cut = base.cut
		}
		files = append(files, cut.changedRepeatables(d)...)
	}
	switch {
	case err != nil:
		key := "to"
		if _, ferr := d.Index(from); ferr != nil {
			key = "from"
		}
		c.addf(mp.key(key), "%v", err)
		return
	case len(files) == 0 && m.baseRef != "":
		c.addf(mp, "no migrations to rehearse: no file of %s was added or changed since the merge base with %s", m.shown, m.baseRef)
		return
	case len(files) == 0:
		c.addf(mp, "no migrations to rehearse: %s has none after version %s", m.shown, from)
		return
	}
	steps, ok := c.fileSteps(files)
	if !ok {
		return
	}
	m.steps = steps
	c.s.Migration.Steps = steps
}

// readMigrationDir checks dir, format and the versions of m and reads the
// directory; nil on a problem. Paths in messages are shown relative to the
// working directory, as the scenario path is.
func (c *checker) readMigrationDir(mp keyPath, m *MigrationDir) *migrations.Dir {
	ok := true
	for i, v := range []MigrationVersion{m.From, m.To} {
		if v == MigrationBase && c.baseAllowed(m, i == 0) {
			continue
		}
		if v != "" && !versionTextRe.MatchString(string(v)) {
			c.addf(mp.key([]string{"from", "to"}[i]), "%q is not a version: give the number at the start of a migration file's name (41, 20240105093000, 1.1)", v)
			ok = false
		}
	}
	format, err := migrations.ParseFormat(m.Format)
	if err != nil {
		c.addf(mp.key("format"), "%v", err)
		ok = false
	}
	if m.Dir == "" {
		c.addf(mp.key("dir"), "missing; give the directory of migration files, relative to this file")
		return nil
	}
	abs, err := insideDir(c.dir, m.Dir)
	if err != nil {
		c.addf(mp.key("dir"), "%v", err)
		return nil
	}
	if !ok {
		return nil
	}
	m.shown, m.abs = filepath.Join(c.dir, m.Dir), abs
	d, err := migrations.Read(abs, format)
	if err != nil {
		c.addMigrationsError(mp.key("dir"), err, abs, m.shown)
		return nil
	}
	for _, files := range [][]migrations.File{d.Files, d.Repeatable} {
		for i := range files {
			files[i].Path = filepath.Join(m.shown, filepath.Base(files[i].Path))
		}
	}
	d.Path = m.shown
	m.format = d.Format
	return d
}

// addMigrationsError reports the reader's problems, with paths shown under
// the scenario's directory rather than resolved.
func (c *checker) addMigrationsError(p keyPath, err error, abs, shown string) {
	var me *migrations.Error
	if !errors.As(err, &me) {
		c.addf(p, "%s", strings.ReplaceAll(err.Error(), abs, shown))
		return
	}
	for _, prob := range me.Problems {
		c.add(Problem{File: filepath.Join(shown, filepath.Base(prob.File)), Line: prob.Line, Msg: prob.Msg})
	}
}

// fileSteps turns migration files into steps, reporting their problems.
func (c *checker) fileSteps(files []migrations.File) ([]*Step, bool) {
	steps := make([]*Step, 0, len(files))
	ok := true
	for _, f := range files {
		st, problems := fileStep(f)
		for _, p := range problems {
			c.add(p)
		}
		ok = ok && len(problems) == 0
		steps = append(steps, st)
	}
	return steps, ok
}

// sameDir reports whether two directories of the scenario are the same.
func (c *checker) sameDir(a, b string) bool {
	return filepath.Clean(filepath.Join(c.dir, a)) == filepath.Clean(filepath.Join(c.dir, b))
}

// MigrationBase, as schema.migrations.to or migration.migrations.from, is
// the version `rehearse DIR --since REF` would leave as the baseline.
const MigrationBase = "base"

// baseAllowed reports whether `base` may stand for m's from (or to): the
// baseline's last version, in schema.migrations.to or
// migration.migrations.from.
func (c *checker) baseAllowed(m *MigrationDir, from bool) bool {
	if from {
		return m == c.s.Migration.Migrations
	}
	return m == c.s.Schema.Migrations
}

// resolveBase cuts m's directory like --since: the version before its
// oldest file changed since the merge base with Scenario.Since (or the
// first of migrations.DefaultBaseRefs the repository has).
func (c *checker) resolveBase(p keyPath, m *MigrationDir, d *migrations.Dir) (string, bool) {
	ref := c.s.Since
	if ref == "" {
		var err error
		if ref, err = migrations.DefaultBaseRef(m.abs); err != nil {
			c.addf(p, "base is the version before the files changed since a git ref: %v; give the ref with --since REF", err)
			return "", false
		}
	}
	changed, err := migrations.ChangedSince(m.abs, ref)
	if err != nil {
		c.addf(p, "base (files changed since %s): %v", ref, err)
		return "", false
	}
	mergeBase, err := migrations.MergeBase(m.abs, ref)
	if err != nil {
		c.addf(p, "base (files changed since %s): %v", ref, err)
		return "", false
	}
	m.baseRef, m.cut = ref, &sinceCut{mergeBase: mergeBase, changed: changed}
	return d.SinceBase(changed), true
}

// sinceCut is what `base` was cut from: the merge base and the files
// changed since.
type sinceCut struct {
	mergeBase string
	changed   map[string]bool
}

// changedRepeatables are the Flyway repeatable files changed since the
// merge base: Flyway applies each again, after the versioned files, when
// its checksum changes, so they end the migration.
func (s *sinceCut) changedRepeatables(d *migrations.Dir) []migrations.File {
	var out []migrations.File
	if s == nil {
		return nil
	}
	for _, f := range d.Repeatable {
		if s.changed[filepath.Base(f.Path)] {
			out = append(out, f)
		}
	}
	return out
}

// baselineRepeatables are the repeatable files as production has them:
// their current text, except at a `base` cut, where a changed file is
// taken as it was at the merge base and one added since is left out (the
// migration applies both).
func (c *checker) baselineRepeatables(p keyPath, m *MigrationDir, d *migrations.Dir) ([]migrations.File, bool) {
	if m.cut == nil {
		return d.Repeatable, true
	}
	var out []migrations.File
	for _, f := range d.Repeatable {
		name := filepath.Base(f.Path)
		if !m.cut.changed[name] {
			out = append(out, f)
			continue
		}
		text, existed, err := migrations.TextAt(m.abs, m.cut.mergeBase, name)
		if err != nil {
			c.addf(p.key("to"), "base: %v", err)
			return nil, false
		}
		if existed {
			f.SQL, f.Line = text, 1
			out = append(out, f)
		}
	}
	return out, true
}
