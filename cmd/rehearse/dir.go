package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rehearse/rehearse/autoscenario"
	"github.com/rehearse/rehearse/result"
)

// dirFlags say how `rehearse DIR` infers a rehearsal from a migration
// directory (autoscenario.Options).
type dirFlags struct {
	since     string
	from      string
	format    string
	rows      int64
	otherRows int64
	profile   string
	rate      float64
	phase     time.Duration
	maxWait   time.Duration
}

// register adds the zero-config flags; they apply when the argument is a
// directory (and to `rehearse init`).
func (f *dirFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.since, "since", "", "with a migration DIR: rehearse the files added or changed since the merge base with git `REF` (a pull request's files); with a scenario file: the ref that schema.migrations.to: base is cut against (default origin/main, else main)")
	fl.StringVar(&f.from, "from", "", "with a migration DIR: rehearse the files after `VERSION` (default: the last file alone)")
	fl.StringVar(&f.format, "format", "", "with a migration DIR: its `FORMAT`, golang-migrate, goose, flyway, dbmate or sql (default: detected)")
	fl.Int64Var(&f.rows, "rows", autoscenario.DefaultRows, "with a migration DIR: rows of each table the pending files touch")
	fl.Int64Var(&f.otherRows, "other-rows", 0, "with a migration DIR: rows of every other table (default: a tenth of --rows, at most 100,000)")
	fl.StringVar(&f.profile, "profile", "", "with a migration DIR: a `FILE` of rehearse profile; the tables it lists get its row counts and statistics")
	fl.DurationVar(&f.phase, "phase", autoscenario.DefaultPhase, "with a migration DIR: length of the baseline and cooldown windows of traffic")
	fl.DurationVar(&f.maxWait, "max-lock-wait", 0, "with a migration DIR: the longest a traffic query may wait for a lock (default 500ms)")
	fl.Float64Var(&f.rate, "rate", autoscenario.DefaultRate, "with a migration DIR: queries per second of the inferred traffic, old and new code together")
}

func (f dirFlags) options(scenarioPath string) autoscenario.Options {
	return autoscenario.Options{Since: f.since, From: f.from, Format: f.format, Rows: f.rows, OtherRows: f.otherRows,
		Profile: f.profile, Rate: f.rate, Phase: f.phase, MaxLockWait: f.maxWait, ScenarioPath: scenarioPath}
}

// isDir reports whether path names a directory: `rehearse DIR` rehearses a
// migration directory with nothing written.
func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

// usedDirFlags names the zero-config flags set on a command given a
// scenario file, where they do not apply.
func usedDirFlags(cmd *cobra.Command) []string {
	var out []string
	for _, name := range []string{"from", "format", "rows", "other-rows", "profile", "rate", "phase", "max-lock-wait"} {
		if fl := cmd.Flags().Lookup(name); fl != nil && fl.Changed {
			out = append(out, "--"+name)
		}
	}
	return out
}

// runDir rehearses the pending files of a migration directory on the
// baseline of the files before them, with data and traffic inferred.
func runDir(cmd *cobra.Command, dir string, f runFlags, df dirFlags) error {
	plan, err := autoscenario.Build(dir, df.options(""))
	if err != nil {
		return cannotRun(err)
	}
	sc := plan.Scenario
	if !f.quiet {
		describePlan(cmd.ErrOrStderr(), plan)
	}
	if len(f.pgVersions) > 0 {
		return cannotRun(errors.New("--pg-versions applies to a scenario file: write one with rehearse init, then run it with --pg-versions"))
	}
	opts, err := rehearseOptions(cmd, sc, f)
	if err != nil {
		return cannotRun(err)
	}
	res, runErr := runRetrying(cmd, sc, opts, f.retryInvalid)
	if res == nil {
		return cannotRun(runErr)
	}
	res.Command = commandLine(cmd, dir, nil)
	res.Inferred = inferred(plan)
	if err := writeOutputs(cmd.OutOrStdout(), res, f); err != nil {
		return cannotRun(err)
	}
	switch {
	case runErr != nil:
		if res.AbortedIn == "data" {
			// What datagen cannot infer from the catalog has to be written.
			fmt.Fprintf(cmd.ErrOrStderr(), "rehearse: write this rehearsal as a scenario (rehearse init %s -o rehearse.yaml) and describe the columns named above under data.tables.TABLE.columns (docs/scenario.md)\n", shellQuote(dir))
		}
		return cannotRun(runErr)
	case !res.Verdict.Pass:
		return &exitError{code: exitFail, err: errors.New("FAIL")}
	}
	return nil
}

// describePlan says what was inferred before anything starts, so that the
// rehearsal's numbers can be read against it.
func describePlan(w io.Writer, p *autoscenario.Plan) {
	fmt.Fprintf(w, "rehearse: migration: %s — %s\n", strings.Join(p.Pending, ", "), p.How)
	if len(p.Touched) > 0 {
		fmt.Fprintf(w, "rehearse: tables the migration touches: %s\n", strings.Join(p.Touched, ", "))
	}
	for _, n := range p.Notes {
		fmt.Fprintf(w, "rehearse: inferred: %s\n", n)
	}
	for _, wl := range p.Scenario.Traffic.Workloads() {
		names := make([]string, len(wl.Queries))
		for i, q := range wl.Queries {
			names[i] = q.Name
		}
		start := ""
		if wl.StartAfter != "" {
			start = ", from after " + wl.StartAfter
		}
		fmt.Fprintf(w, "rehearse: inferred %s-code traffic, %g/s%s: %s\n", wl.Name, wl.Rate, start, strings.Join(names, " "))
	}
	fmt.Fprintf(w, "rehearse: default thresholds: %s\n", strings.Join(p.Defaults, "; "))
}

// inferred is what the result records of the plan, for the reports.
func inferred(p *autoscenario.Plan) *result.Inferred {
	in := &result.Inferred{Pending: p.Pending, How: p.How, Notes: p.Notes, Defaults: p.Defaults, DefaultChecks: p.DefaultChecks}
	for _, w := range p.Scenario.Traffic.Workloads() {
		for _, q := range w.Queries {
			in.Queries = append(in.Queries, result.InferredQuery{Workload: w.Name, Name: q.Name, Weight: q.Weight, SQL: q.SQL})
		}
	}
	return in
}
