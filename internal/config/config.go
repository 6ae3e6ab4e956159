// Package config reads .rehearse.yaml, a repository's settings for
// rehearse: which lint rules and paths to leave out, the PostgreSQL
// version production runs, and the settings the team's migration role
// already has. It is found by walking up from the working directory, so
// one file at the repository root serves every subdirectory.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/goccy/go-yaml"

	"github.com/rehearse/rehearse/scenarios"
)

// FileName is the name Find looks for.
const FileName = ".rehearse.yaml"

// Config is the content of a .rehearse.yaml.
type Config struct {
	Lint     Lint     `yaml:"lint"`
	Postgres Postgres `yaml:"postgres"`
	// MigrationSession holds settings the migration role already has on
	// production (ALTER ROLE ... SET): lint takes them as set, and
	// rehearsals run every migration step that sets none of its own with them.
	MigrationSession Session `yaml:"migration_session"`

	// Path is the file it was read from; Dir its directory, which
	// Lint.ExcludePaths are relative to. Empty for the zero Config.
	Path string `yaml:"-"`
	Dir  string `yaml:"-"`
}

// Lint configures `rehearse lint` and the lint section of rehearsals.
type Lint struct {
	// ExcludeRules are rule ids never reported.
	ExcludeRules []string `yaml:"exclude_rules"`
	// ExcludePaths are glob patterns (** matches any number of directories),
	// relative to the directory of .rehearse.yaml, of files whose findings
	// are not reported; a pattern naming a directory covers what is in it.
	ExcludePaths []string `yaml:"exclude_paths"`
}

// Postgres describes the production server.
type Postgres struct {
	// Version is the major version, such as "15" or 15, for the rules
	// whose hazard depends on it.
	Version string `yaml:"version"`
}

// Session holds migration-session settings.
type Session struct {
	LockTimeout      scenarios.Duration `yaml:"lock_timeout"`
	StatementTimeout scenarios.Duration `yaml:"statement_timeout"`
}

// Find looks for .rehearse.yaml in dir and each of its parents, and loads
// the first found. No file anywhere gives the zero Config and no error.
func Find(dir string) (*Config, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("find %s: %w", FileName, err)
	}
	for {
		path := filepath.Join(dir, FileName)
		if _, err := os.Stat(path); err == nil {
			return Load(path)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("find %s: %w", FileName, err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return &Config{}, nil
		}
		dir = parent
	}
}

// Load reads one configuration file, strictly: an unknown key is an error
// naming its line and column.
func Load(path string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	var c Config
	if err := yaml.UnmarshalWithOptions(raw, &c, yaml.DisallowUnknownField()); err != nil {
		return nil, fmt.Errorf("%s: %s", path, yaml.FormatError(err, false, false))
	}
	c.Path = path
	c.Dir = filepath.Dir(path)
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &c, nil
}

func (c *Config) validate() error {
	var errs []error
	if v := c.Postgres.Version; v != "" {
		if n, err := strconv.Atoi(strings.SplitN(v, ".", 2)[0]); err != nil || n < 9 {
			errs = append(errs, fmt.Errorf("postgres.version %q: want a major version such as 15", v))
		}
	}
	for _, p := range c.Lint.ExcludePaths {
		if !doublestar.ValidatePattern(filepath.ToSlash(p)) {
			errs = append(errs, fmt.Errorf("lint.exclude_paths: bad pattern %q", p))
		}
	}
	if c.MigrationSession.LockTimeout < 0 || c.MigrationSession.StatementTimeout < 0 {
		errs = append(errs, errors.New("migration_session: timeouts must not be negative"))
	}
	return errors.Join(errs...)
}

// PostgresMajor is postgres.version as a number; 0 when it is not set.
func (c *Config) PostgresMajor() int {
	n, _ := strconv.Atoi(strings.SplitN(c.Postgres.Version, ".", 2)[0])
	return n
}

// ExcludedPath reports whether findings in file are left out by
// lint.exclude_paths. file is as findings name it: relative to the
// working directory, or absolute.
func (c *Config) ExcludedPath(file string) bool {
	if len(c.Lint.ExcludePaths) == 0 || file == "" {
		return false
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(c.Dir, abs)
	if err != nil || strings.HasPrefix(rel, "..") {
		return false
	}
	rel = filepath.ToSlash(rel)
	for _, p := range c.Lint.ExcludePaths {
		p = strings.TrimSuffix(filepath.ToSlash(p), "/")
		if ok, _ := doublestar.Match(p, rel); ok {
			return true
		}
		if ok, _ := doublestar.Match(p+"/**", rel); ok {
			return true
		}
	}
	return false
}
