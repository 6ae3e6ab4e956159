package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/rehearse/rehearse/scenarios/migrations"
)

// migrationDirsOf is the part of a scenario file `suite --changed-since`
// reads: its migration directories. The whole scenario is not loaded, so
// that one whose `from: base` has nothing to rehearse is skipped rather
// than failed.
type migrationDirsOf struct {
	Schema struct {
		Migrations *struct {
			Dir string `yaml:"dir"`
		} `yaml:"migrations"`
	} `yaml:"schema"`
	Migration struct {
		Migrations *struct {
			Dir string `yaml:"dir"`
		} `yaml:"migrations"`
	} `yaml:"migration"`
}

// dirs are the scenario's migration directories, resolved against its
// directory: migration.migrations.dir defaults to schema.migrations.dir.
func (m migrationDirsOf) dirs(scenarioPath string) []string {
	var out []string
	base := filepath.Dir(scenarioPath)
	if s := m.Schema.Migrations; s != nil && s.Dir != "" {
		out = append(out, filepath.Join(base, s.Dir))
	}
	if mg := m.Migration.Migrations; mg != nil && mg.Dir != "" {
		out = append(out, filepath.Join(base, mg.Dir))
	}
	return out
}

// pickChanged keeps the scenarios with a migration directory that holds a
// file added or changed since the merge base with ref. A file that cannot
// be read as YAML is kept, so that its rehearsal reports why.
func pickChanged(files []scenarioFile, ref string, stderr io.Writer) ([]scenarioFile, error) {
	var kept []scenarioFile
	var skipped []string
	changedIn := map[string]bool{} // per directory, read once
	for _, sf := range files {
		data, err := os.ReadFile(sf.path)
		if err != nil {
			return nil, err
		}
		var m migrationDirsOf
		if err := yaml.Unmarshal(data, &m); err != nil {
			kept = append(kept, sf)
			continue
		}
		hit := false
		for _, dir := range m.dirs(sf.path) {
			changed, seen := changedIn[dir]
			if !seen {
				names, err := migrations.ChangedSince(dir, ref)
				if err != nil {
					return nil, fmt.Errorf("--changed-since: %s: %w", sf.path, err)
				}
				changed = len(names) > 0
				changedIn[dir] = changed
			}
			hit = hit || changed
		}
		if hit {
			kept = append(kept, sf)
		} else {
			skipped = append(skipped, sf.path)
		}
	}
	msg := fmt.Sprintf("suite: --changed-since %s: %d of %d scenarios have migration files changed since the merge base", ref, len(kept), len(files))
	if len(skipped) > 0 {
		msg += "; skipped: " + strings.Join(skipped, ", ")
	}
	fmt.Fprintln(stderr, msg)
	return kept, nil
}
