package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/rehearse/rehearse/internal/lockmon"
	"github.com/rehearse/rehearse/provider"
	"github.com/rehearse/rehearse/rehearse"
	"github.com/rehearse/rehearse/reports"
	"github.com/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
)

// runFlags are the flags of a rehearsal: the outputs, and how to rehearse.
type runFlags struct {
	since         string // the ref `base` is cut against (registered by root and suite)
	jsonPath      string
	markdownPath  string
	junitPath     string
	htmlPath      string
	providerName  string
	image         string
	dsn           string
	disposable    bool
	forceNonEmpty bool
	seed          int64
	lockInterval  time.Duration
	quiet         bool
	noCache       bool     // --no-cache: neither use nor fill the dataset cache (cache.go)
	pgVersions    []string // --pg-versions: a version matrix (matrix.go)
	retryInvalid  int      // --retry-invalid: reruns of an invalid rehearsal
	cloneCreate   string   // --clone-create, --clone-destroy: --provider command
	cloneDestroy  string
	noConfig      bool // --no-config: ignore .rehearse.yaml
}

func (f *runFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.jsonPath, "json", "", "write the result as JSON to `FILE`")
	fl.StringVar(&f.markdownPath, "markdown", "", "write the sign-off report as GitHub Markdown to `FILE` (for a pull request comment)")
	fl.StringVar(&f.junitPath, "junit", "", "write the verdict checks as JUnit XML to `FILE` (for CI)")
	fl.StringVar(&f.htmlPath, "html", "", "write a self-contained HTML report with charts to `FILE`")
	// Not in registerRehearsal: `run` rehearses each scenario once.
	fl.StringSliceVar(&f.pgVersions, "pg-versions", nil, "rehearse once per PostgreSQL major `VERSIONS` (14,15,16) side by side, overriding postgres.versions")
	f.registerRehearsal(cmd)
}

// registerRehearsal registers the flags that say how to rehearse, shared
// by the root command and `run`.
func (f *runFlags) registerRehearsal(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.providerName, "provider", "auto", "where PostgreSQL comes from: auto, container, local, dsn or command (auto: a container when a Docker engine answers and has or can pull the image, else the local binaries; dsn when --dsn is given; command when clone commands are given)")
	fl.StringVar(&f.cloneCreate, "clone-create", "", "with --provider command: shell `CMD` that makes a disposable clone and prints its DSN (or JSON with \"dsn\"); overrides postgres.clone.create")
	fl.StringVar(&f.cloneDestroy, "clone-destroy", "", "with --provider command: shell `CMD` that removes the clone, given $REHEARSE_CLONE_DSN and the create output on stdin; runs on every exit")
	fl.StringVar(&f.image, "image", "", "container `IMAGE`, overriding postgres.image and postgres.version")
	fl.StringVar(&f.dsn, "dsn", "", "rehearse on an existing database at `URL` instead of starting one (needs --disposable; with --provider dsn, default $DATABASE_URL, else libpq's PG* variables)")
	fl.BoolVar(&f.disposable, "disposable", false, "confirm that the --dsn database may be changed: the rehearsal creates tables, loads rows and runs DDL")
	fl.BoolVar(&f.forceNonEmpty, "force-nonempty", false, "use the --dsn database even though it has tables or other sessions (it may be live: be sure)")
	fl.Int64Var(&f.seed, "seed", 0, "override the scenario's data.seed (data and traffic arguments)")
	fl.DurationVar(&f.lockInterval, "lock-interval", lockmon.DefaultInterval, "how often the lock monitor samples in a lock wait's first 20 intervals (then a twentieth of the wait's age, up to 50ms, the interval outside waits)")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress lines on stderr")
	fl.IntVar(&f.retryInvalid, "retry-invalid", 0, "rerun a rehearsal that ended invalid (harness starved) up to `N` times")
	fl.BoolVar(&f.noConfig, "no-config", false, "ignore .rehearse.yaml (lint policy, migration_session settings)")
	fl.BoolVar(&f.noCache, "no-cache", false, "generate the data even if the dataset cache has it, and do not save it (see rehearse cache)")
}

func runScenario(cmd *cobra.Command, path string, f runFlags) error {
	sc, err := scenarios.LoadSince(path, f.since)
	if err != nil {
		return cannotRun(err)
	}
	if note := sc.BaselineNote(); note != "" {
		fmt.Fprintf(cmd.ErrOrStderr(), "note: %s\n", note)
	}
	if sc.Data.Sweep != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "note: data.sweep is read by `rehearse sweep %s`; this run rehearses once, at data.tables' sizes\n", path)
	}
	if versions := matrixVersions(sc, f); len(versions) > 0 {
		return runMatrix(cmd, path, sc, versions, f)
	}
	opts, err := rehearseOptions(cmd, sc, f)
	if err != nil {
		return cannotRun(err)
	}
	res, runErr := runRetrying(cmd, sc, opts, f.retryInvalid)
	if res == nil {
		return cannotRun(runErr)
	}
	res.Command = commandLine(cmd, path, nil)
	res.ToolVersion = toolVersion()
	if err := writeOutputs(cmd.OutOrStdout(), res, f); err != nil {
		return cannotRun(err)
	}
	if err := githubOutputs(cmd.OutOrStdout(), path, sc, res); err != nil {
		return cannotRun(err)
	}
	switch {
	case runErr != nil:
		return cannotRun(runErr)
	case res.Verdict.Invalid:
		return &exitError{code: exitCannotRun, err: errors.New("INVALID: " + res.Verdict.InvalidReason)}
	case !res.Verdict.Pass:
		return &exitError{code: exitFail, err: errors.New("FAIL")}
	}
	return nil
}

// rehearseOptions builds the options of rehearse.Run from the flags that
// say how to rehearse; the root command and `run` share it.
func rehearseOptions(cmd *cobra.Command, sc *scenarios.Scenario, f runFlags) ([]rehearse.Option, error) {
	cfg, err := loadConfig(f.noConfig)
	if err != nil {
		return nil, err
	}
	p, err := chooseProvider(cmd.Context(), sc, f, cmd.ErrOrStderr())
	if err != nil {
		return nil, err
	}
	opts := []rehearse.Option{rehearse.WithProvider(p), rehearse.WithLockInterval(f.lockInterval),
		rehearse.WithStarted(trackStarted(cmd.Context())), rehearse.WithLintPolicy(lintPolicy(cfg, nil)),
		rehearse.WithMigrationSession(cfg.MigrationSession.LockTimeout.D(), cfg.MigrationSession.StatementTimeout.D())}
	if !f.quiet {
		opts = append(opts, rehearse.WithProgress(cmd.ErrOrStderr(), isTerminal(cmd.ErrOrStderr())))
	}
	if cmd.Flags().Changed("seed") {
		opts = append(opts, rehearse.WithSeed(f.seed))
	}
	opts = append(opts, cacheOption(cmd.ErrOrStderr(), f.noCache))
	return opts, nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// chooseProvider picks where PostgreSQL comes from. The line saying what
// "auto" chose is a fact about the result, so it is printed even with -q.
func chooseProvider(ctx context.Context, sc *scenarios.Scenario, f runFlags, log io.Writer) (provider.Provider, error) {
	// Only an explicit --provider dsn reads DATABASE_URL or PG*: auto must
	// never rehearse on whatever database the environment points at.
	if f.providerName == "dsn" {
		f.dsn = dsnOrEnv(f.dsn)
	}
	create, destroy := f.cloneCreate, f.cloneDestroy
	if c := sc.Postgres.Clone; c != nil && create == "" && destroy == "" && f.dsn == "" && (f.providerName == "auto" || f.providerName == "command") {
		create, destroy = c.Create, c.Destroy
	}
	return provider.Choose(ctx, provider.Request{
		Name: f.providerName, DSN: f.dsn, Disposable: f.disposable, ForceNonEmpty: f.forceNonEmpty, Image: f.image,
		CloneCreate: create, CloneDestroy: destroy,
		Postgres: provider.Config{Image: sc.Postgres.Image, Version: sc.Postgres.Version, Replica: sc.Postgres.Replica},
		Log:      log,
	})
}

// writeOutputs prints the summary and writes the requested files.
func writeOutputs(stdout io.Writer, res *result.Result, f runFlags) error {
	if err := reports.Text(stdout, res); err != nil {
		return fmt.Errorf("print summary: %w", err)
	}
	for _, out := range []struct {
		path   string
		render func(io.Writer, *result.Result) error
	}{
		{f.jsonPath, reports.JSON},
		{f.markdownPath, reports.Markdown},
		{f.junitPath, reports.JUnit},
		{f.htmlPath, reports.HTML},
	} {
		if out.path == "" {
			continue
		}
		if err := reports.WriteFile(out.path, res, out.render); err != nil {
			return err
		}
	}
	return nil
}

// runRetrying rehearses sc, and again up to retries times while the
// rehearsal ends invalid (--retry-invalid).
func runRetrying(cmd *cobra.Command, sc *scenarios.Scenario, opts []rehearse.Option, retries int) (*result.Result, error) {
	res, err := rehearse.Run(cmd.Context(), sc, opts...)
	for try := 1; try <= retries && err == nil && res != nil && res.Verdict.Invalid; try++ {
		fmt.Fprintf(cmd.ErrOrStderr(), "invalid rehearsal (%s): retry %d of %d\n", res.Verdict.InvalidReason, try, retries)
		res, err = rehearse.Run(cmd.Context(), sc, opts...)
	}
	return res, err
}
