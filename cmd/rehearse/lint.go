package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rehearse/rehearse/autoscenario"
	"github.com/rehearse/rehearse/lint"
	"github.com/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
)

type lintFlags struct {
	format           string
	failOn           string
	migrationsFormat string
	since            string // --since: only the files changed since a git ref are findings
}

func newLintCmd() *cobra.Command {
	var f lintFlags
	cmd := &cobra.Command{
		Use:   "lint FILE|DIR...",
		Short: "Check migrations for locking and compatibility hazards, without running anything",
		Long: `lint reads migrations and reports the well-known hazards of schema changes on a
busy database: index builds without CONCURRENTLY, table rewrites and scans under
ACCESS EXCLUSIVE, constraints added without NOT VALID, renames and drops of what
running code uses, strong locks taken without lock_timeout, and more.

Each argument is a scenario (.yaml: its steps, checked against its schema and
its workloads' queries), a SQL or migration file (.sql), or a directory of
migrations (golang-migrate, goose, Flyway, dbmate or numbered .sql files).

Text output is one line per finding, FILE:LINE: RULE: severity: message.
Exit codes: 0 no finding at or above --fail-on, 1 there is one, 2 bad input.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLint(cmd.OutOrStdout(), cmd.ErrOrStderr(), args, f)
		},
	}
	cmd.Flags().StringVar(&f.format, "format", "text", "output: text (FILE:LINE: RULE: severity: message) or json")
	cmd.Flags().StringVar(&f.failOn, "fail-on", "error", "exit 1 when a finding is at least this severe: info, warning or error")
	cmd.Flags().StringVar(&f.since, "since", "", "for directories: report only on the files added or changed since the merge base with git `REF` (the rest is history, read as context)")
	cmd.Flags().StringVar(&f.migrationsFormat, "migrations-format", "auto", "format of migration directories and files: auto, golang-migrate, goose, flyway, dbmate or sql")
	return cmd
}

func runLint(stdout, stderr io.Writer, args []string, f lintFlags) error {
	if f.format != "text" && f.format != "json" {
		return cannotRun(fmt.Errorf("unknown --format %q: use text or json", f.format))
	}
	failOn, err := lint.ParseSeverity(f.failOn)
	if err != nil {
		return cannotRun(fmt.Errorf("--fail-on: %w", err))
	}
	var findings []lint.Finding
	bad := false
	for _, path := range args {
		found, err := lintPath(path, f.migrationsFormat, f.since)
		if err != nil {
			fmt.Fprintln(stderr, err)
			bad = true
			continue
		}
		findings = append(findings, found...)
	}
	if err := writeFindings(stdout, stderr, findings, f.format, !bad); err != nil {
		return cannotRun(err)
	}
	switch {
	case bad:
		return &exitError{code: exitCannotRun}
	case worst(findings) >= failOn && len(findings) > 0:
		return &exitError{code: exitFail}
	}
	return nil
}

// lintPath lints one argument: a scenario, a SQL file or a migration directory.
func lintPath(path, migrationsFormat, since string) ([]lint.Finding, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, unwrapPathError(err))
	}
	switch ext := strings.ToLower(filepath.Ext(path)); {
	case info.IsDir():
		steps, err := scenarios.MigrationSteps(path, migrationsFormat)
		if err != nil {
			return nil, err
		}
		if since != "" {
			return lintSince(path, migrationsFormat, since, steps)
		}
		return lint.Steps(steps), nil
	case ext == ".yaml" || ext == ".yml":
		sc, err := scenarios.Load(path)
		if err != nil {
			return nil, err
		}
		return lint.Scenario(sc), nil
	case ext == ".sql":
		step, err := scenarios.MigrationFileStep(path, migrationsFormat)
		if err != nil {
			return nil, err
		}
		return lint.Steps([]*scenarios.Step{step}), nil
	}
	return nil, fmt.Errorf("%s: not a scenario (.yaml), a SQL file (.sql) or a directory of migrations", path)
}

// lintSince lints the whole directory, so that the pending files are read
// against the tables their history made, and keeps the findings on the
// files changed since the merge base with since.
func lintSince(dir, migrationsFormat, since string, steps []*scenarios.Step) ([]lint.Finding, error) {
	format := migrationsFormat
	if format == "auto" {
		format = ""
	}
	pending, err := autoscenario.Pending(dir, format, since, "")
	if err != nil {
		return nil, err
	}
	keep := map[string]bool{}
	for _, name := range pending {
		keep[name] = true
	}
	var out []lint.Finding
	for _, f := range lint.Steps(steps) {
		if keep[f.Step] {
			out = append(out, f)
		}
	}
	return out, nil
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// writeFindings prints the findings, and in text mode a count on stderr
// (left out when an input could not be read: "no findings" would mislead).
func writeFindings(stdout, stderr io.Writer, findings []lint.Finding, format string, withSummary bool) error {
	if format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Findings []result.LintFinding `json:"findings"`
		}{lint.Results(findings)})
	}
	for _, f := range findings {
		if _, err := fmt.Fprintln(stdout, f); err != nil {
			return err
		}
	}
	if withSummary {
		fmt.Fprintln(stderr, summary(findings))
	}
	return nil
}

// summary counts findings by severity: "3 findings: 1 error, 2 warnings".
func summary(findings []lint.Finding) string {
	if len(findings) == 0 {
		return "no findings"
	}
	counts := map[lint.Severity]int{}
	for _, f := range findings {
		counts[f.Severity]++
	}
	var parts []string
	for _, sev := range []lint.Severity{lint.Error, lint.Warning, lint.Info} {
		if n := counts[sev]; n > 0 {
			parts = append(parts, plural(n, sev.String()))
		}
	}
	return plural(len(findings), "finding") + ": " + strings.Join(parts, ", ")
}

func plural(n int, word string) string {
	if n == 1 || word == "info" {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func worst(findings []lint.Finding) lint.Severity {
	w := lint.Info
	for _, f := range findings {
		w = max(w, f.Severity)
	}
	return w
}
