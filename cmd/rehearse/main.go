// Command rehearse rehearses a PostgreSQL schema migration against
// production-sized data under old- and new-code traffic, and says whether it
// stays inside the scenario's lock and latency budget.
//
// Exit codes: 0 PASS, 1 FAIL, 2 the rehearsal could not run.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	tclog "github.com/testcontainers/testcontainers-go/log"
)

// Exit codes scripts and CI depend on.
const (
	exitPass      = 0
	exitFail      = 1
	exitCannotRun = 2
)

// exitError carries the exit code a command wants.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

func cannotRun(err error) error { return &exitError{code: exitCannotRun, err: err} }

func main() {
	// testcontainers prints a banner on Docker detection; rehearse says in
	// one line what it chose instead.
	tclog.SetDefault(tclog.NewNoopLogger())
	ctx, stop := withInterrupts(context.Background(), os.Stderr)
	code := execute(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// execute runs the command line and returns the exit code.
func execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	return codeOf(root.ExecuteContext(ctx), stderr)
}

// codeOf prints err, if any, and returns the exit code it stands for.
func codeOf(err error, stderr io.Writer) int {
	if err == nil {
		return exitPass
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.code != exitFail {
			fmt.Fprintln(stderr, "rehearse:", ee.err)
		}
		return ee.code
	}
	// cobra's own errors: unknown flag, wrong number of arguments.
	fmt.Fprintln(stderr, "rehearse:", err)
	return exitCannotRun
}

func newRootCmd() *cobra.Command {
	var f runFlags
	var df dirFlags
	root := &cobra.Command{
		Use:   "rehearse [flags] SCENARIO.yaml | MIGRATIONS_DIR",
		Short: "Rehearse a PostgreSQL schema migration under old- and new-code traffic",
		Long: `rehearse starts a throwaway PostgreSQL, loads production-sized synthetic data,
drives old-code and new-code traffic side by side, runs the migration step by
step and reports lock waits, rewrites, errors and latency with a PASS/FAIL
verdict against the scenario's thresholds.

Exit codes: 0 PASS, 1 FAIL, 2 the rehearsal could not run.`,
		Version:       versionString(),
		Args:          rootArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmd.Help()
			}
			return rehearseTarget(cmd, args[0], f, df)
		},
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.SuggestionsMinimumDistance = 2
	f.register(root)
	df.register(root)
	root.AddCommand(newValidateCmd(), newInitCmd())
	root.AddCommand(newReportCmd(), newNightlyCmd(), newMergeCmd(), newSweepCmd())
	root.AddCommand(newLintCmd(), newExplainCmd())
	root.AddCommand(newDatagenCmd(), newProfileCmd(), newCacheCmd())
	root.AddCommand(newVersionCmd(), newSchemaCmd())
	return root
}

// rehearseTarget is where the root command's one argument goes: a
// migration directory is rehearsed with nothing written (dir.go), a
// scenario file as it says.
func rehearseTarget(cmd *cobra.Command, arg string, f runFlags, df dirFlags) error {
	if isDir(arg) {
		return runDir(cmd, arg, f, df)
	}
	if used := usedDirFlags(cmd); len(used) > 0 {
		return cannotRun(fmt.Errorf("%s apply to a migration directory, not to the scenario file %s", strings.Join(used, ", "), arg))
	}
	f.since = df.since
	return runScenario(cmd, arg, f)
}
