package autoscenario

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rehearse/rehearse/scenarios"
	"github.com/rehearse/rehearse/scenarios/migrations"
)

// Defaults of a zero-config rehearsal; each is printed as "default" where
// it is used and can be overridden by a flag or, after rehearse init, in
// the scenario file.
const (
	// DefaultRows is --rows: the rows of each table the pending files touch.
	DefaultRows = 1_000_000
	// DefaultNeighbourMax caps the rows of the tables that reference or
	// are referenced by a touched table, which get a tenth of --rows (at
	// least one): parents and children in realistic proportion.
	DefaultNeighbourMax = 100_000
	// DefaultRestMax caps the rows of the tables unrelated to the touched
	// ones, which get a hundredth of --rows (at least one): they are there
	// so that the schema is whole, not to be measured.
	DefaultRestMax = 10_000
	// DefaultRate is --rate: queries per second of all inferred traffic.
	DefaultRate = 200
	// DefaultMaxLockWait is the longest a traffic query may wait for a lock.
	DefaultMaxLockWait = 500 * time.Millisecond
	// DefaultPhase is the baseline and cooldown window.
	DefaultPhase = 10 * time.Second
	// DefaultSeed seeds data and traffic arguments.
	DefaultSeed = 1
)

// Options say how to read the directory and how big to make the rehearsal.
// The zero value of each field is its default.
type Options struct {
	// Since is a git ref: the pending files are those added or changed
	// since the merge base with it (--since).
	Since string
	// From is a version: the pending files are those after it (--from).
	From string
	// Format is the directory's migration format; "" detects it.
	Format string
	// Rows is the rows of each table the pending files touch.
	Rows int64
	// OtherRows is the rows of every other baseline table; 0 gives the
	// touched tables' neighbours a tenth of Rows (at most
	// DefaultNeighbourMax) and the rest a hundredth (at most DefaultRestMax).
	OtherRows int64
	// Profile is a file of `rehearse profile`: the tables it lists get its
	// row counts and statistics.
	Profile string
	// Rate is the total rate of the inferred traffic, in queries per second.
	Rate float64
	// MaxLockWait overrides DefaultMaxLockWait, the longest a traffic
	// query may wait for a lock.
	MaxLockWait time.Duration
	// Phase is the length of the baseline and cooldown windows; 0 is
	// DefaultPhase.
	Phase time.Duration
	// ScenarioPath is where the scenario is (or would be) written: paths in
	// it are relative to its directory. "" puts it in the working directory
	// when dir is inside it, else beside dir.
	ScenarioPath string
}

// Plan is a rehearsal inferred from a directory, and what was inferred.
type Plan struct {
	// Scenario is validated, its defaults applied.
	Scenario *scenarios.Scenario
	// Pending are the names of the pending files, in order.
	Pending []string
	// How says why these files are pending.
	How string
	// Touched are the baseline tables the pending files name, sorted.
	Touched []string
	// Notes say what was inferred and what was left out, one line each.
	Notes []string
	// Defaults names the thresholds that are defaults, as "name: value".
	Defaults []string
	// DefaultChecks names the verdict checks whose limits are defaults.
	DefaultChecks []string

	dir     string // as given
	relDir  string // relative to the scenario's directory
	format  migrations.Format
	rows    map[string]int64
	profile string
	prof    *scenarios.Profile // read from profile, nil without one
}

// Build reads the migration directory dir and infers a rehearsal of its
// pending files. Problems with the files come back as a *scenarios.Error
// with file:line positions; a bad choice of pending files (an unknown
// version or git ref, a directory outside git) as a plain error.
func Build(dir string, o Options) (*Plan, error) {
	o = o.withDefaults()
	format, err := migrations.ParseFormat(o.Format)
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("%s is not a directory of migration files", dir)
	}
	d, err := migrations.Read(dir, format)
	if err != nil {
		return nil, err
	}
	c, err := choose(d, dir, o.Since, o.From)
	if err != nil {
		return nil, err
	}
	scPath, relDir, err := placement(dir, o.ScenarioPath)
	if err != nil {
		return nil, err
	}
	p := &Plan{How: c.how, dir: dir, relDir: relDir, format: d.Format, profile: o.Profile}
	for _, f := range c.pending {
		p.Pending = append(p.Pending, f.Name)
	}
	for _, r := range c.changedRepeatable {
		p.Pending = append(p.Pending, r)
		p.Notes = append(p.Notes, fmt.Sprintf("repeatable %s changed since the merge base with %s: the baseline has it as it was there, and the migration applies it again after the versioned files, as Flyway does", r, o.Since))
	}
	sc := p.skeleton(c, scPath, o)
	if err := p.infer(sc, d, c, o); err != nil {
		return nil, err
	}
	sc.ApplyDefaults()
	err = sc.Validate()
	if note := sc.BaselineNote(); note != "" {
		p.Notes = append(p.Notes, note)
	}
	if err != nil {
		if old := sc.Traffic.Old; old != nil && old.FromProfile != nil && strings.Contains(err.Error(), "from_profile") {
			// The file named is the one rehearse init would write.
			return nil, fmt.Errorf("%w\nthe old-code traffic is the statements of --profile %s: write the scenario with rehearse init %s --profile %s and fix it there", err, o.Profile, dir, o.Profile)
		}
		return nil, err
	}
	p.Scenario = sc
	return p, nil
}

func (o Options) withDefaults() Options {
	if o.Rows <= 0 {
		o.Rows = DefaultRows
	}
	if o.Rate <= 0 {
		o.Rate = DefaultRate
	}
	if o.Phase <= 0 {
		o.Phase = DefaultPhase
	}
	return o
}

// placement decides where the scenario lives and dir relative to it: a
// scenario may only read files inside its own directory.
func placement(dir, scenarioPath string) (string, string, error) {
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return "", "", err
	}
	if scenarioPath == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", "", err
		}
		base := filepath.Dir(absDir)
		if rel, err := filepath.Rel(wd, absDir); err == nil && !strings.HasPrefix(rel, "..") {
			base = wd
		}
		scenarioPath = filepath.Join(base, "rehearse.yaml")
	}
	absSc, err := filepath.Abs(scenarioPath)
	if err != nil {
		return "", "", err
	}
	rel, err := filepath.Rel(filepath.Dir(absSc), absDir)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", "", fmt.Errorf("%s is outside the directory of %s: write the scenario in a directory that holds the migrations", dir, scenarioPath)
	}
	return scenarioPath, rel, nil
}

// skeleton is the scenario without data and traffic: the directory cut at
// the baseline version, each pending file a step.
func (p *Plan) skeleton(c *cut, path string, o Options) *scenarios.Scenario {
	sc := &scenarios.Scenario{
		Name:      fmt.Sprintf("%s: %s", filepath.Base(filepath.Clean(p.dir)), strings.Join(p.Pending, ", ")),
		Path:      path,
		Schema:    scenarios.Schema{Migrations: &scenarios.MigrationDir{Dir: p.relDir, Format: string(p.format), To: scenarios.MigrationVersion(c.base)}},
		Migration: scenarios.Migration{Migrations: &scenarios.MigrationDir{Dir: p.relDir, Format: string(p.format), From: scenarios.MigrationVersion(c.base)}},
		Since:     o.Since,
		Phases:    scenarios.Phases{Baseline: scenarios.Duration(o.Phase), Cooldown: scenarios.Duration(o.Phase)},
		Data:      scenarios.Data{Seed: DefaultSeed},
	}
	if o.Since != "" {
		// The same cut, made by validation, which also takes changed
		// repeatable files as they were at the merge base.
		sc.Schema.Migrations.To, sc.Migration.Migrations.From = scenarios.MigrationBase, scenarios.MigrationBase
	}
	wait := scenarios.Duration(DefaultMaxLockWait)
	if o.MaxLockWait > 0 {
		wait = scenarios.Duration(o.MaxLockWait)
	}
	sc.Thresholds = scenarios.Thresholds{
		MaxLockWait:  &wait,
		MaxErrorRate: map[string]float64{"old": 0},
		Forbid:       []scenarios.ForbidRule{{Rule: scenarios.ForbidRewrite}, {Rule: scenarios.ForbidWriteBlockingScan}},
	}
	p.Defaults = []string{
		"max_error_rate.old: 0 (no old-code query may fail)",
		"compatibility: every old-code query prepares after every step",
		"forbid: rewrite, scan_under_write_lock (of any loaded table)",
	}
	p.DefaultChecks = []string{"max_error_rate[old]", "forbid " + scenarios.ForbidRewrite, "forbid " + scenarios.ForbidWriteBlockingScan}
	if o.MaxLockWait <= 0 {
		p.Defaults = append([]string{"max_lock_wait: " + wait.String()}, p.Defaults...)
		p.DefaultChecks = append(p.DefaultChecks, "max_lock_wait")
	}
	return sc
}

// infer fills the scenario's data and traffic from the baseline schema and
// the pending files.
func (p *Plan) infer(sc *scenarios.Scenario, d *migrations.Dir, c *cut, o Options) error {
	var base strings.Builder
	n := len(d.Files) - len(c.pending)
	for _, f := range d.Files[:n] {
		base.WriteString(f.SQL + "\n;\n")
	}
	for _, f := range d.Repeatable {
		base.WriteString(f.SQL + "\n;\n")
	}
	before, err := scenarios.ParseSchema(base.String())
	if err != nil {
		// Validation reports the file and line; nothing can be inferred.
		return nil
	}
	bf := newFacts()
	bf.apply(base.String())
	a := &analysis{base: before, baseFacts: bf, after: before.Clone(), afterFacts: newFacts(), created: map[string]string{}}
	a.afterFacts.apply(base.String())
	for _, f := range c.pending {
		a.step(f.Name, f.SQL)
	}
	p.Touched = a.touchedTables()
	if err := p.data(sc, a, o); err != nil {
		return err
	}
	p.traffic(sc, a, o)
	return nil
}
