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

	"github.com/rehearse/rehearse/lint"
	"github.com/rehearse/rehearse/provider"
	"github.com/rehearse/rehearse/rehearse"
	"github.com/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
)

type lintFlags struct {
	format           string
	failOn           string
	migrationsFormat string
	pgVersion        int
	enable           []string
	profile, dsn     string
	// sizes are the tables' sizes read from profile or dsn; nil: unknown.
	sizes map[string]lint.TableSize
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
			sizes, err := lintSizes(cmd, f.profile, f.dsn)
			if err != nil {
				return cannotRun(err)
			}
			f.sizes = sizes
			return runLint(cmd.OutOrStdout(), cmd.ErrOrStderr(), args, f)
		},
	}
	cmd.Flags().StringVar(&f.format, "format", "text", "output: text (FILE:LINE: RULE: severity: message) or json")
	cmd.Flags().StringVar(&f.failOn, "fail-on", "error", "exit 1 when a finding is at least this severe: info, warning or error")
	cmd.Flags().StringVar(&f.migrationsFormat, "migrations-format", "auto", "format of migration directories and files: auto, golang-migrate, goose, flyway, dbmate or sql")
	cmd.Flags().IntVar(&f.pgVersion, "pg-version", 0, "major version of the target server (default: a scenario's postgres.version, else the newest installed server)")
	cmd.Flags().StringSliceVar(&f.enable, "enable", nil, "turn on rules that are off by default (the style rules), by id")
	cmd.Flags().StringVar(&f.profile, "profile", "", "a profile (rehearse profile) with the tables' sizes: findings about scans and rewrites carry them, and their severity follows them")
	cmd.Flags().StringVar(&f.dsn, "dsn", "", "read the tables' sizes from this database's statistics (read-only), as --profile does")
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
	if err := knownRules(f.enable); err != nil {
		return cannotRun(fmt.Errorf("--enable: %w", err))
	}
	var findings []lint.Finding
	bad := false
	for _, path := range args {
		found, err := lintPath(path, f)
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
	if f.format == "text" && !sized(findings) && aboutSlowWork(findings) {
		fmt.Fprintln(stderr, "table sizes unknown: scans and rewrites are judged as on a large table (give --profile FILE or --dsn URL)")
	}
	switch {
	case bad:
		return &exitError{code: exitCannotRun}
	case worst(findings) >= failOn && len(findings) > 0:
		return &exitError{code: exitFail}
	}
	return nil
}

// lintSizes reads the tables' sizes from a profile file or a database's
// statistics; nil when neither is given.
func lintSizes(cmd *cobra.Command, profilePath, dsn string) (map[string]lint.TableSize, error) {
	var prof *scenarios.Profile
	switch {
	case profilePath != "":
		file, err := os.Open(profilePath)
		if err != nil {
			return nil, fmt.Errorf("--profile: %w", err)
		}
		defer file.Close()
		if prof, err = scenarios.ReadProfile(file); err != nil {
			return nil, fmt.Errorf("--profile %s: %w", profilePath, err)
		}
	case dsn != "":
		var err error
		if prof, err = readProfile(cmd, dsn, nil, statementFlags{}); err != nil {
			return nil, err
		}
	default:
		return nil, nil
	}
	return lint.SizesFromProfile(prof), nil
}

// sized reports whether any finding knows its table's size (from --profile,
// --dsn or a scenario's data profile).
func sized(findings []lint.Finding) bool {
	for _, f := range findings {
		if f.Sized {
			return true
		}
	}
	return false
}

// aboutSlowWork reports whether a finding is about a scan or a rewrite,
// whose cost depends on the table's size.
func aboutSlowWork(findings []lint.Finding) bool {
	for _, f := range findings {
		if f.Effect == lint.EffectScan || f.Effect == lint.EffectRewrite {
			return true
		}
	}
	return false
}

// knownRules checks that every id names a rule.
func knownRules(ids []string) error {
	known := map[string]bool{}
	for _, r := range lint.Rules() {
		known[r.ID] = true
	}
	for _, id := range ids {
		if !known[id] {
			return fmt.Errorf("no rule %q", id)
		}
	}
	return nil
}

// lintOptions are the flags' options; a scenario's postgres.version stands
// unless --pg-version is given, and without either the newest installed
// server's version is the target.
func lintOptions(f lintFlags, scenarioVersion string) []lint.Option {
	opts := []lint.Option{lint.Enable(f.enable...)}
	if f.sizes != nil {
		opts = append(opts, lint.WithSizes(f.sizes))
	}
	switch {
	case f.pgVersion > 0:
		opts = append(opts, lint.WithVersion(f.pgVersion))
	case scenarioVersion == "":
		if dirs := provider.FindBinDirs(); len(dirs) > 0 {
			opts = append(opts, lint.WithVersion(dirs[0].Major))
		}
	}
	return opts
}

// lintPath lints one argument: a scenario, a SQL file or a migration directory.
func lintPath(path string, f lintFlags) ([]lint.Finding, error) {
	migrationsFormat := f.migrationsFormat
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
		return lint.Steps(steps, lintOptions(f, "")...), nil
	case ext == ".yaml" || ext == ".yml":
		sc, err := scenarios.Load(path)
		if err != nil {
			return nil, err
		}
		return lint.Scenario(sc, lintOptions(f, sc.Postgres.Version)...), nil
	case ext == ".sql":
		step, err := scenarios.MigrationFileStep(path, migrationsFormat)
		if err != nil {
			return nil, err
		}
		return lint.Steps([]*scenarios.Step{step}, lintOptions(f, "")...), nil
	}
	return nil, fmt.Errorf("%s: not a scenario (.yaml), a SQL file (.sql) or a directory of migrations", path)
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
		}{rehearse.LintFindings(findings)})
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
