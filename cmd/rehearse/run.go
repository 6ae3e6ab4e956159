package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/rehearse/rehearse/rehearse"
	"github.com/rehearse/rehearse/rehearse/lockmon"
	"github.com/rehearse/rehearse/rehearse/provider"
	"github.com/rehearse/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/reports"
	"github.com/rehearse/rehearse/scenarios"
)

// runFlags are the flags of a rehearsal.
type runFlags struct {
	jsonPath     string
	providerName string
	dsn          string
	disposable   bool
	seed         int64
	lockInterval time.Duration
	quiet        bool
}

func (f *runFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.jsonPath, "json", "", "write the result as JSON to `FILE`")
	fl.StringVar(&f.providerName, "provider", "auto", "where PostgreSQL comes from: auto, local or dsn (auto: local binaries, or dsn when --dsn is given)")
	fl.StringVar(&f.dsn, "dsn", "", "rehearse on an existing database at `URL` instead of starting one (needs --disposable)")
	fl.BoolVar(&f.disposable, "disposable", false, "confirm that the --dsn database may be changed: the rehearsal creates tables, loads rows and runs DDL")
	fl.Int64Var(&f.seed, "seed", 0, "override the scenario's data.seed (data and traffic arguments)")
	fl.DurationVar(&f.lockInterval, "lock-interval", lockmon.DefaultInterval, "how often the lock monitor samples pg_locks")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress lines on stderr")
}

func runScenario(cmd *cobra.Command, path string, f runFlags) error {
	ctx := cmd.Context()
	sc, err := scenarios.Load(path)
	if err != nil {
		return cannotRun(err)
	}
	p, err := chooseProvider(f)
	if err != nil {
		return cannotRun(err)
	}
	opts := []rehearse.Option{rehearse.WithProvider(p), rehearse.WithLockInterval(f.lockInterval)}
	if !f.quiet {
		opts = append(opts, rehearse.WithProgress(cmd.ErrOrStderr(), isTerminal(cmd.ErrOrStderr())))
	}
	if cmd.Flags().Changed("seed") {
		opts = append(opts, rehearse.WithSeed(f.seed))
	}
	res, runErr := rehearse.Run(ctx, sc, opts...)
	if res == nil {
		return cannotRun(runErr)
	}
	if err := writeOutputs(cmd.OutOrStdout(), res, f); err != nil {
		return cannotRun(err)
	}
	switch {
	case runErr != nil:
		return cannotRun(runErr)
	case !res.Verdict.Pass:
		return &exitError{code: exitFail, err: errors.New("FAIL")}
	}
	return nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func chooseProvider(f runFlags) (provider.Provider, error) {
	name := f.providerName
	if name == "auto" && f.dsn != "" {
		name = "dsn"
	}
	switch name {
	case "auto", "local":
		if f.dsn != "" {
			return nil, errors.New("--dsn is only used with --provider dsn")
		}
		return provider.NewLocal(), nil
	case "dsn":
		if f.dsn == "" {
			return nil, errors.New("--provider dsn needs --dsn URL")
		}
		return provider.DSN{URL: f.dsn, Disposable: f.disposable}, nil
	default:
		return nil, fmt.Errorf("unknown --provider %q: want auto, local or dsn", f.providerName)
	}
}

// writeOutputs prints the summary and writes the requested files.
func writeOutputs(stdout io.Writer, res *result.Result, f runFlags) error {
	if err := reports.Text(stdout, res); err != nil {
		return fmt.Errorf("print summary: %w", err)
	}
	if f.jsonPath != "" {
		if err := reports.WriteFile(f.jsonPath, res, reports.JSON); err != nil {
			return err
		}
	}
	return nil
}
