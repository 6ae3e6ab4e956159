package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rehearse/rehearse/reports"
	"github.com/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
	"github.com/rehearse/rehearse/verdict"
)

// nightlyFlags are the flags of `rehearse suite` (formerly run).
type nightlyFlags struct {
	runFlags
	out           string
	baseline      string
	tolerance     float64
	latencyFloor  time.Duration
	lockWaitFloor time.Duration
	stepFloor     time.Duration
	shard         string // --shard I/N (shard.go)
	list          bool   // --list: print the shard's scenario files only
	changedSince  string // --changed-since REF: only scenarios whose migrations changed (changed.go)
}

// nightlyOnly are the flags of `run` that a single rehearsal does not take:
// they are left out of each scenario's reproduce command.
var nightlyOnly = map[string]bool{"out": true, "baseline": true, "tolerance": true,
	"floor-latency": true, "floor-lock-wait": true, "floor-step": true, "shard": true, "list": true, "changed-since": true}

func newNightlyCmd() *cobra.Command {
	var f nightlyFlags
	cmd := &cobra.Command{
		Use:     "suite DIR_OR_FILE... --out DIR [--baseline PREV_DIR_OR_JSON] [--shard I/N]",
		Aliases: []string{"run"}, // its name before 0.1
		Short:   "Rehearse several scenarios one after another and write a summary (nightly CI)",
		Long: `suite rehearses each scenario (each *.yaml and *.yml file of a directory, or the
files given) one after another, and writes into --out:

  <stem>.json, <stem>.md, <stem>.html   each scenario's result and reports
  summary.txt, summary.md               one line per scenario, failed checks
  junit.xml                             one testsuite per scenario

With --baseline, each scenario is compared with the previous result of the
same file stem (PREV_DIR/<stem>.json, or the one JSON file given) and what
got slower becomes checks of their own: p99 per workload and phase, the
longest lock wait, each step's duration. A figure regresses when it exceeds
both previous × --tolerance and previous + its floor.

With --shard I/N, only the I-th of N shares of the scenarios is rehearsed
(dealt round-robin in name order: the same split on every runner), and
shard.json is written beside the results; rehearse merge combines the
shards' --out directories. --shard N takes the index (from 0) from
$JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) or $REHEARSE_SHARD_INDEX.
--list prints the shard's scenario files, one a line, and runs nothing.

With --changed-since REF, only the scenarios whose migration directories
(schema.migrations.dir, migration.migrations.dir) hold files added or
changed since the merge base with REF are rehearsed: a pull request's.
In scenario files, schema.migrations.to: base and migration.migrations.from:
base are the version before the oldest such file (--since REF, default
--changed-since, else origin/main, else main).

Exit codes: 0 every scenario passed, 1 one failed, 2 one could not run.`,
		Args: minArgs("scenario files or directories of them"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runNightly(cmd, args, f)
		},
	}
	f.registerRehearsal(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.out, "out", "", "write results, reports and the summary into `DIR` (created if missing)")
	fl.StringVar(&f.baseline, "baseline", "", "compare with the previous results in `PREV_DIR_OR_JSON`")
	fl.Float64Var(&f.tolerance, "tolerance", verdict.DefaultRatio, "a figure regresses above previous × `RATIO` (and above previous + its floor)")
	fl.DurationVar(&f.latencyFloor, "floor-latency", verdict.DefaultLatencyFloor, "a p99 increase of less than this is never a regression")
	fl.DurationVar(&f.lockWaitFloor, "floor-lock-wait", verdict.DefaultLockWaitFloor, "a max lock wait increase of less than this is never a regression")
	fl.DurationVar(&f.stepFloor, "floor-step", verdict.DefaultStepFloor, "a step duration increase of less than this is never a regression")
	fl.StringVar(&f.shard, "shard", "", "rehearse only share `I/N` of the scenarios (N alone: the index from $JOB_COMPLETION_INDEX); merge the shards with rehearse merge")
	fl.StringVar(&f.since, "since", "", "the git `REF` that schema.migrations.to: base and migration.migrations.from: base are cut against (default --changed-since, else origin/main, else main)")
	fl.StringVar(&f.changedSince, "changed-since", "", "rehearse only the scenarios whose migration directories hold files added or changed since the merge base with git `REF`")
	fl.BoolVar(&f.list, "list", false, "print the scenario files this run (or --shard) would rehearse, one a line, and run nothing")
	return cmd
}

// scenarioFile is one scenario to rehearse and the stem its outputs are named by.
type scenarioFile struct {
	path, stem string
}

func runNightly(cmd *cobra.Command, args []string, f nightlyFlags) error {
	if f.out == "" && !f.list {
		return cannotRun(errors.New("suite needs --out DIR, where each scenario's result and reports and the summary go (to rehearse one scenario, run rehearse SCENARIO.yaml)"))
	}
	files, err := collectScenarios(args)
	if err != nil {
		return cannotRun(err)
	}
	if f.changedSince != "" {
		if files, err = pickChanged(files, f.changedSince, cmd.ErrOrStderr()); err != nil {
			return cannotRun(err)
		}
		if f.since == "" {
			f.since = f.changedSince
		}
	}
	total := len(files)
	var shard *shardSpec
	var positions []int
	if f.shard != "" {
		spec, err := parseShard(f.shard, os.Getenv)
		if err != nil {
			return cannotRun(err)
		}
		shard = &spec
		files, positions = spec.pick(files)
	}
	if f.list {
		for _, sf := range files {
			fmt.Fprintln(cmd.OutOrStdout(), sf.path)
		}
		return nil
	}
	if f.tolerance < 1 {
		return cannotRun(fmt.Errorf("--tolerance %g: want a ratio of at least 1", f.tolerance))
	}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return cannotRun(fmt.Errorf("create --out: %w", err))
	}
	stderr := cmd.ErrOrStderr()
	baselines := loadBaselines(f.baseline, files, stderr)
	var suites []reports.Suite
	for i, sf := range files {
		if err := cmd.Context().Err(); err != nil {
			suites = append(suites, reports.Suite{Name: sf.stem, Path: sf.path, Err: "not run: interrupted"})
			continue
		}
		fmt.Fprintf(stderr, "[%d/%d] rehearsing %s\n", i+1, len(files), sf.path)
		s := rehearseOne(cmd, sf, f, baselines[sf.stem])
		if s.Result != nil {
			if err := writeScenarioOutputs(f.out, sf.stem, s.Result); err != nil {
				return cannotRun(err)
			}
			s.Report = sf.stem + ".md"
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%-14s %s\n", s.Outcome(), sf.path)
		suites = append(suites, s)
	}
	if err := writeSummary(f.out, suites); err != nil {
		return cannotRun(err)
	}
	if shard != nil {
		if err := writeShardManifest(f.out, *shard, total, suites, positions); err != nil {
			return cannotRun(err)
		}
	}
	fmt.Fprintln(cmd.OutOrStdout())
	if err := reports.SummaryText(cmd.OutOrStdout(), suites); err != nil {
		return cannotRun(err)
	}
	return nightlyExit(suites)
}

// collectScenarios expands directories to their *.yaml and *.yml files (not
// recursively, in name order) and refuses two scenarios with the same stem:
// their outputs would overwrite each other.
func collectScenarios(args []string) ([]scenarioFile, error) {
	var files []scenarioFile
	seen := map[string]string{}
	add := func(path string) error {
		stem := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		if other, ok := seen[stem]; ok {
			return fmt.Errorf("%s and %s have the same name %q: their results would overwrite each other", other, path, stem)
		}
		seen[stem] = path
		files = append(files, scenarioFile{path: path, stem: stem})
		return nil
	}
	for _, arg := range args {
		info, err := os.Stat(arg)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			if err := add(arg); err != nil {
				return nil, err
			}
			continue
		}
		var found []string
		for _, pattern := range []string{"*.yaml", "*.yml"} {
			m, _ := filepath.Glob(filepath.Join(arg, pattern))
			found = append(found, m...)
		}
		sort.Strings(found)
		if len(found) == 0 {
			return nil, fmt.Errorf("%s: no *.yaml or *.yml scenario files", arg)
		}
		for _, path := range found {
			if err := add(path); err != nil {
				return nil, err
			}
		}
	}
	return files, nil
}

// baseline is the previous result of one scenario, or why there is none.
type baseline struct {
	path   string
	result *result.Result
	note   string
}

// loadBaselines reads the previous results before anything runs, so that
// --out may be the --baseline directory. A directory gives each scenario
// DIR/<stem>.json; a JSON file serves the scenario of the same stem, or the
// only scenario. What is missing or unreadable is noted, not fatal: the
// first nightly run has no baseline.
func loadBaselines(path string, files []scenarioFile, stderr io.Writer) map[string]baseline {
	out := map[string]baseline{}
	if path == "" {
		return out
	}
	info, err := os.Stat(path)
	if err != nil {
		fmt.Fprintf(stderr, "warning: no baseline at %s: not compared\n", path)
		for _, sf := range files {
			out[sf.stem] = baseline{note: fmt.Sprintf("not compared: no baseline at %s", path)}
		}
		return out
	}
	for _, sf := range files {
		p := filepath.Join(path, sf.stem+".json")
		if !info.IsDir() {
			p = path
			if stem := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)); stem != sf.stem && len(files) > 1 {
				out[sf.stem] = baseline{note: fmt.Sprintf("not compared: %s is another scenario's", path)}
				continue
			}
		}
		r, err := reports.ReadJSON(p)
		switch {
		case errors.Is(err, os.ErrNotExist):
			out[sf.stem] = baseline{note: fmt.Sprintf("not compared: no previous result %s", p)}
		case err != nil:
			fmt.Fprintf(stderr, "warning: baseline %s: %v\n", p, err)
			out[sf.stem] = baseline{note: fmt.Sprintf("not compared: %v", err)}
		default:
			out[sf.stem] = baseline{path: p, result: r}
		}
	}
	return out
}

// rehearseOne rehearses one scenario and compares it with its baseline.
func rehearseOne(cmd *cobra.Command, sf scenarioFile, f nightlyFlags, prev baseline) reports.Suite {
	s := reports.Suite{Name: sf.stem, Path: sf.path}
	sc, err := scenarios.LoadSince(sf.path, f.since)
	if err != nil {
		s.Err = err.Error()
		return s
	}
	if len(sc.Postgres.Versions) > 0 {
		// A version matrix is a result of another kind; rather than rehearse
		// one version silently, say so.
		s.Err = "postgres.versions (a version matrix) is not supported by `rehearse suite`; rehearse this scenario on its own"
		return s
	}
	opts, err := rehearseOptions(cmd, sc, f.runFlags)
	if err != nil {
		s.Err = err.Error()
		return s
	}
	res, runErr := runRetrying(cmd, sc, opts, f.retryInvalid)
	if runErr != nil {
		s.Err = runErr.Error()
	}
	if res == nil {
		return s
	}
	res.Command = commandLine(cmd, sf.path, nightlyOnly)
	res.ToolVersion = toolVersion()
	s.Result = res
	s.Baseline = compareWithBaseline(res, prev, f)
	if err := githubOutputs(cmd.OutOrStdout(), sf.path, sc, res); err != nil {
		fmt.Fprintln(cmd.ErrOrStderr(), "warning:", err)
	}
	return s
}

// compareWithBaseline adds the regression checks to res's verdict and says
// what it was compared with.
func compareWithBaseline(res *result.Result, prev baseline, f nightlyFlags) string {
	if prev.result == nil {
		return prev.note
	}
	checks, err := verdict.Compare(prev.result, res, verdict.WithRatio(f.tolerance), verdict.WithLatencyFloor(f.latencyFloor),
		verdict.WithLockWaitFloor(f.lockWaitFloor), verdict.WithStepFloor(f.stepFloor))
	if err != nil {
		return fmt.Sprintf("not compared with %s: %v", prev.path, err)
	}
	verdict.Apply(&res.Verdict, checks)
	failed := 0
	for _, c := range checks {
		if !c.Pass {
			failed++
		}
	}
	return fmt.Sprintf("compared with %s (started %s): %d figures, %d regressed",
		prev.path, prev.result.StartedAt.UTC().Format("2006-01-02 15:04"), len(checks), failed)
}

func writeScenarioOutputs(dir, stem string, res *result.Result) error {
	for ext, render := range map[string]func(io.Writer, *result.Result) error{
		".json": reports.JSON, ".md": reports.Markdown, ".html": reports.HTML,
	} {
		if err := reports.WriteFile(filepath.Join(dir, stem+ext), res, render); err != nil {
			return err
		}
	}
	return nil
}

func writeSummary(dir string, suites []reports.Suite) error {
	for name, render := range map[string]func(io.Writer, []reports.Suite) error{
		"summary.txt": reports.SummaryText, "summary.md": reports.SummaryMarkdown, "junit.xml": reports.JUnitSuites,
	} {
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := render(f, suites); err != nil {
			f.Close()
			return fmt.Errorf("write %s: %w", path, err)
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}

// nightlyExit is 2 when a scenario could not run (the night's picture is
// incomplete), else 1 when one failed, else 0.
func nightlyExit(suites []reports.Suite) error {
	worst := reports.OutcomePass
	for _, s := range suites {
		worst = max(worst, s.Outcome())
	}
	switch worst {
	case reports.OutcomeCannotRun:
		return &exitError{code: exitCannotRun, err: errors.New("a scenario could not run")}
	case reports.OutcomeFail:
		return &exitError{code: exitFail, err: errors.New("FAIL")}
	}
	return nil
}
