package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rehearse/rehearse/autoscenario"
	"github.com/rehearse/rehearse/docs/rules"
	"github.com/rehearse/rehearse/internal/config"
	"github.com/rehearse/rehearse/lint"
	"github.com/rehearse/rehearse/provider"
	"github.com/rehearse/rehearse/rehearse"
	"github.com/rehearse/rehearse/reports"
	"github.com/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
)

type lintFlags struct {
	format           string
	output           string
	failOn           string
	migrationsFormat string
	exclude          []string
	listRules        bool
	noConfig         bool
	pgVersion        int
	enable           []string
	// configVersion is .rehearse.yaml's postgres.version; 0 when unset.
	configVersion int
	profile, dsn  string
	// sizes are the tables' sizes read from profile or dsn; nil: unknown.
	sizes map[string]lint.TableSize
	since string // --since: only the files changed since a git ref are findings
}

// lintFormats are the values of lint --format.
var lintFormats = []string{"text", "json", "gcc", "github", "sarif"}

func newLintCmd() *cobra.Command {
	var f lintFlags
	cmd := &cobra.Command{
		Use:   "lint FILE|DIR|-...",
		Short: "Check migrations for locking and compatibility hazards, without running anything",
		Long: `lint reads migrations and reports the well-known hazards of schema changes on a
busy database: index builds without CONCURRENTLY, table rewrites and scans under
ACCESS EXCLUSIVE, constraints added without NOT VALID, renames and drops of what
running code uses, strong locks taken without lock_timeout, and more.
rehearse explain RULE says why a rule's hazard blocks and what the safe form is.

Each argument is a scenario (.yaml: its steps, checked against its schema and
its workloads' queries), a SQL or migration file (.sql), a directory of
migrations (golang-migrate, goose, Flyway, dbmate or numbered .sql files), or
- for SQL on standard input.

A finding is silenced, with a reason, by a comment on the statement:
  -- rehearse:ignore RULE[,RULE] -- reason      (directly above it, or at the end of its first line)
  -- rehearse:ignore-file RULE[,RULE] -- reason (anywhere in the file)
.rehearse.yaml (found in the working directory or a parent) can exclude rules
and paths and say what the migration role sets (docs/config.md).

Output (--format): text, one finding per "FILE:LINE:COL: severity: message [rule]"
line with the rest wrapped below; gcc, the same unwrapped; github, workflow
commands that annotate the pull request (the default when GITHUB_ACTIONS=true);
sarif, SARIF 2.1.0 for code scanning; json.
Exit codes: 0 no finding at or above --fail-on, 1 there is one, 2 bad input.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if f.listRules {
				return cobra.NoArgs(cmd, args)
			}
			return minArgs("a FILE, DIR or - (standard input) to lint")(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.listRules {
				return listRules(cmd.OutOrStdout())
			}
			if !cmd.Flags().Changed("format") && os.Getenv("GITHUB_ACTIONS") == "true" {
				f.format = "github"
			}
			sizes, err := lintSizes(cmd, f.profile, f.dsn)
			if err != nil {
				return cannotRun(err)
			}
			f.sizes = sizes
			return runLint(cmd, args, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.format, "format", "f", "text", "output: "+strings.Join(lintFormats, ", ")+" (github by default when GITHUB_ACTIONS=true)")
	fl.StringVarP(&f.output, "output", "o", "", "write the findings to `FILE` instead of standard output")
	fl.StringVar(&f.failOn, "fail-on", "error", "exit 1 when a finding is at least this severe: info, warning or error")
	fl.StringVar(&f.migrationsFormat, "migrations-format", "auto", "format of migration directories and files: auto, golang-migrate, goose, flyway, dbmate or sql")
	fl.StringSliceVar(&f.exclude, "exclude", nil, "do not report these `RULES` (comma-separated or repeated), beside lint.exclude_rules of .rehearse.yaml")
	fl.BoolVar(&f.listRules, "list-rules", false, "list the rules, their severity (off: only with --enable) and what each catches, and exit")
	fl.BoolVar(&f.noConfig, "no-config", false, "ignore .rehearse.yaml")
	fl.IntVar(&f.pgVersion, "pg-version", 0, "major version of the target server (default: a scenario's postgres.version, else .rehearse.yaml's, else the newest installed server)")
	fl.StringSliceVar(&f.enable, "enable", nil, "turn on rules that are off by default (the style rules), by id")
	fl.StringVar(&f.profile, "profile", "", "a profile (rehearse profile) with the tables' sizes: findings about scans and rewrites carry them, and their severity follows them")
	fl.StringVar(&f.dsn, "dsn", "", "read the tables' sizes from this database's statistics (read-only), as --profile does")
	fl.StringVar(&f.since, "since", "", "for directories: report only on the files added or changed since the merge base with git `REF` (the rest is history, read as context)")
	return cmd
}

func listRules(w io.Writer) error {
	for _, r := range lint.Rules() {
		sev := r.Severity.String()
		if r.Off {
			sev = "off"
		}
		if _, err := fmt.Fprintf(w, "%-32s %-8s %s\n", r.ID, sev, r.Summary); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "%-32s %-8s %s\n", strings.Join(lint.SuppressionRules, ", "), lint.Warning,
		"a rehearse:ignore comment that silences nothing, stands nowhere, or has no reason")
	return err
}

// loadConfig finds .rehearse.yaml from the working directory up, unless off.
func loadConfig(off bool) (*config.Config, error) {
	if off {
		return &config.Config{}, nil
	}
	return config.Find(".")
}

// lintPolicy is the policy of a configuration and --exclude.
func lintPolicy(cfg *config.Config, exclude []string) lint.Policy {
	return lint.Policy{
		ExcludeRules:   append(slices.Clone(cfg.Lint.ExcludeRules), exclude...),
		ExcludePath:    cfg.ExcludedPath,
		LockTimeoutSet: cfg.MigrationSession.LockTimeout > 0,
		Read:           os.ReadFile,
	}
}

func runLint(cmd *cobra.Command, args []string, f lintFlags) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if !slices.Contains(lintFormats, f.format) {
		return cannotRun(fmt.Errorf("unknown --format %q: use %s", f.format, strings.Join(lintFormats, ", ")))
	}
	failOn, err := lint.ParseSeverity(f.failOn)
	if err != nil {
		return cannotRun(fmt.Errorf("--fail-on: %w", err))
	}
	for _, r := range f.exclude {
		if !lint.KnownRule(r) {
			return cannotRun(fmt.Errorf("--exclude %s: no such rule (see rehearse lint --list-rules)", r))
		}
	}
	if err := knownRules(f.enable); err != nil {
		return cannotRun(fmt.Errorf("--enable: %w", err))
	}
	cfg, err := loadConfig(f.noConfig)
	if err != nil {
		return cannotRun(err)
	}
	f.configVersion = cfg.PostgresMajor()
	policy := lintPolicy(cfg, f.exclude)
	var findings []lint.Finding
	var suppressed []lint.Suppressed
	bad := false
	for _, path := range args {
		found, sup, err := lintArg(cmd.InOrStdin(), path, f, policy)
		if err != nil {
			fmt.Fprintln(stderr, err)
			bad = true
			continue
		}
		findings = append(findings, found...)
		suppressed = append(suppressed, sup...)
	}
	out := stdout
	if f.output != "" && f.output != "-" {
		file, err := os.Create(f.output)
		if err != nil {
			return cannotRun(fmt.Errorf("create --output: %w", err))
		}
		defer file.Close()
		out = file
	}
	if err := writeFindings(out, findings, suppressed, f.format); err != nil {
		return cannotRun(err)
	}
	if !bad && (f.format == "text" || f.output != "") {
		fmt.Fprintln(stderr, summary(findings, len(suppressed)))
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

// stdinName is how findings in SQL read from standard input name their file.
const stdinName = "<stdin>"

// lintArg lints one argument, "-" being SQL on stdin, and applies the policy.
func lintArg(stdin io.Reader, path string, f lintFlags, policy lint.Policy) ([]lint.Finding, []lint.Suppressed, error) {
	if path != "-" {
		steps, findings, err := lintPath(path, f)
		if err != nil {
			return nil, nil, err
		}
		kept, sup := policy.Apply(findings, steps)
		return kept, sup, nil
	}
	// The migration readers take files: give them one, then name it <stdin>.
	raw, err := io.ReadAll(stdin)
	if err != nil {
		return nil, nil, fmt.Errorf("read standard input: %w", err)
	}
	dir, err := os.MkdirTemp("", "rehearse-lint-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, "stdin.sql")
	if err := os.WriteFile(tmp, raw, 0o600); err != nil {
		return nil, nil, err
	}
	steps, findings, err := lintPath(tmp, f)
	if err != nil {
		return nil, nil, errors.New(strings.ReplaceAll(err.Error(), tmp, stdinName))
	}
	policy.ExcludePath = nil // the config's paths say nothing about stdin
	kept, sup := policy.Apply(findings, steps)
	rename := func(f *lint.Finding) {
		if f.File == tmp {
			f.File = stdinName
		}
		if f.Step == tmp || f.Step == "stdin" {
			f.Step = stdinName
		}
	}
	for i := range kept {
		rename(&kept[i])
	}
	for i := range sup {
		rename(&sup[i].Finding)
		sup[i].At = strings.ReplaceAll(sup[i].At, tmp, stdinName)
	}
	return kept, sup, nil
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

// lintOptions are the flags' options. The target version is --pg-version,
// else a scenario's postgres.version (which lint.Scenario reads), else
// .rehearse.yaml's postgres.version, else the newest installed server's.
func lintOptions(f lintFlags, scenarioVersion string) []lint.Option {
	opts := []lint.Option{lint.Enable(f.enable...)}
	if f.sizes != nil {
		opts = append(opts, lint.WithSizes(f.sizes))
	}
	switch {
	case f.pgVersion > 0:
		opts = append(opts, lint.WithVersion(f.pgVersion))
	case scenarioVersion != "":
	case f.configVersion > 0:
		opts = append(opts, lint.WithVersion(f.configVersion))
	default:
		if dirs := provider.FindBinDirs(); len(dirs) > 0 {
			opts = append(opts, lint.WithVersion(dirs[0].Major))
		}
	}
	return opts
}

// lintPath lints one argument: a scenario, a SQL file or a migration
// directory. It returns the steps linted, for the suppression comments.
func lintPath(path string, f lintFlags) ([]*scenarios.Step, []lint.Finding, error) {
	migrationsFormat := f.migrationsFormat
	info, err := os.Stat(path)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, unwrapPathError(err))
	}
	switch ext := strings.ToLower(filepath.Ext(path)); {
	case info.IsDir():
		steps, err := scenarios.MigrationSteps(path, migrationsFormat)
		if err != nil {
			return nil, nil, err
		}
		if f.since != "" {
			findings, err := lintSince(path, f.migrationsFormat, f.since, steps, lintOptions(f, "")...)
			return steps, findings, err
		}
		return steps, lint.Steps(steps, lintOptions(f, "")...), nil
	case ext == ".yaml" || ext == ".yml":
		sc, err := scenarios.Load(path)
		if err != nil {
			return nil, nil, err
		}
		return sc.Migration.Steps, lint.Scenario(sc, lintOptions(f, sc.Postgres.Version)...), nil
	case ext == ".sql":
		step, err := scenarios.MigrationFileStep(path, migrationsFormat)
		if err != nil {
			return nil, nil, err
		}
		steps := []*scenarios.Step{step}
		return steps, lint.Steps(steps, lintOptions(f, "")...), nil
	}
	return nil, nil, fmt.Errorf("%s: not a scenario (.yaml), a SQL file (.sql) or a directory of migrations", path)
}

// lintSince lints the whole directory, so that the pending files are read
// against the tables their history made, and keeps the findings on the
// files changed since the merge base with since.
func lintSince(dir, migrationsFormat, since string, steps []*scenarios.Step, opts ...lint.Option) ([]lint.Finding, error) {
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
	for _, f := range lint.Steps(steps, opts...) {
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

// suppressedJSON is a silenced finding in lint's JSON output.
type suppressedJSON struct {
	result.LintFinding
	Reason string `json:"reason"`
	// At is FILE:LINE of the rehearse:ignore comment.
	At string `json:"suppressed_at"`
}

// writeFindings prints the findings in format.
func writeFindings(w io.Writer, findings []lint.Finding, suppressed []lint.Suppressed, format string) error {
	res := rehearse.LintFindings(relativeFiles(findings))
	switch format {
	case "gcc":
		return reports.LintGCC(w, res)
	case "github":
		return reports.LintGitHub(w, res)
	case "sarif":
		return reports.LintSARIF(w, res, lintRuleTable(), toolVersion())
	case "json":
		sup := make([]suppressedJSON, len(suppressed))
		for i, s := range suppressed {
			sup[i] = suppressedJSON{LintFinding: rehearse.LintFindings([]lint.Finding{s.Finding})[0], Reason: s.Reason, At: s.At}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Findings   []result.LintFinding `json:"findings"`
			Suppressed []suppressedJSON     `json:"suppressed"`
		}{res, sup})
	}
	return reports.LintText(w, res)
}

// relativeFiles writes absolute file names relative to the working
// directory where they lie below it: annotations and code scanning want
// paths from the repository root, and terminals want them short.
func relativeFiles(findings []lint.Finding) []lint.Finding {
	wd, err := os.Getwd()
	if err != nil {
		return findings
	}
	out := slices.Clone(findings)
	for i, f := range out {
		out[i].File = relativeTo(wd, f.File)
	}
	return out
}

// relativePath is path relative to the working directory if it lies below it.
func relativePath(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	return relativeTo(wd, path)
}

func relativeTo(wd, path string) string {
	if filepath.IsAbs(path) {
		if rel, err := filepath.Rel(wd, path); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return path
}

func lintRuleTable() []reports.LintRule {
	var out []reports.LintRule
	for _, r := range lint.Rules() {
		out = append(out, reports.LintRule{ID: r.ID, Summary: r.Summary, Severity: r.Severity.String(), HelpURI: rules.URL(r.ID)})
	}
	for _, id := range lint.SuppressionRules {
		out = append(out, reports.LintRule{ID: id, Summary: "a rehearse:ignore comment that silences nothing, stands nowhere, or has no reason",
			Severity: "warning", HelpURI: rules.URL(id)})
	}
	return out
}

// summary counts findings by severity: "3 findings: 1 error, 2 warnings (1 suppressed)".
func summary(findings []lint.Finding, suppressed int) string {
	tail := ""
	if suppressed > 0 {
		tail = fmt.Sprintf(" (%d suppressed)", suppressed)
	}
	if len(findings) == 0 {
		return "no findings" + tail
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
	return plural(len(findings), "finding") + ": " + strings.Join(parts, ", ") + tail
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
