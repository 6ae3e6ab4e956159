package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rehearse/rehearse/internal/stmtprofile"
	"github.com/rehearse/rehearse/scenarios"
)

// statementFlags are rehearse profile's --statements, --window and --top.
type statementFlags struct {
	on     bool
	window time.Duration
	top    int
}

func (s *statementFlags) register(fl *pflag.FlagSet) {
	fl.BoolVar(&s.on, "statements", false, "also measure the traffic from pg_stat_statements: normalized statements on the profiled tables, their calls per second, mean time and rows (no values)")
	fl.DurationVar(&s.window, "window", stmtprofile.DefaultWindow, "with --statements, the time between the two reads of pg_stat_statements")
	fl.IntVar(&s.top, "top", 0, "with --statements, keep the `N` most called statements (default: those covering 95% of the calls)")
}

// readStatements adds the statements measured on conn to prof.
func readStatements(cmd *cobra.Command, conn *pgx.Conn, prof *scenarios.Profile, s statementFlags) error {
	if s.window <= 0 {
		return errors.New("profile: --window must be > 0, such as 60s")
	}
	if s.top < 0 {
		return errors.New("profile: --top must be >= 0")
	}
	tables := make([]string, len(prof.Tables))
	for i, t := range prof.Tables {
		tables[i] = t.Name
	}
	w := cmd.ErrOrStderr()
	fmt.Fprintf(w, "reading pg_stat_statements twice, %s apart...\n", s.window)
	c, err := stmtprofile.Read(cmd.Context(), conn, tables, stmtprofile.WithWindow(s.window), stmtprofile.WithTop(s.top))
	if err != nil {
		return fmt.Errorf("profile --statements: %w", err)
	}
	prof.StatementsWindow = &c.Window
	prof.Statements = c.Statements
	fmt.Fprintf(w, "%d statements, %.1f calls/s, covering %.1f%% of the %.1f calls/s on the profiled tables\n",
		len(c.Statements), prof.TotalCallsPerS(), 100*c.Window.CoveredShare, c.Window.TotalCallsPerS)
	if len(c.Skipped) > 0 {
		var parts []string
		for _, k := range []string{stmtprofile.SkipCoverage, stmtprofile.SkipOtherTables, stmtprofile.SkipUtility, stmtprofile.SkipUnparsed} {
			if n := c.Skipped[k]; n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", n, k))
			}
		}
		fmt.Fprintf(w, "left out: %s\n", strings.Join(parts, ", "))
	}
	if c.Evicted > 0 {
		fmt.Fprintf(w, "warning: pg_stat_statements dropped %d entries during the window (pg_stat_statements.max is too small): some calls are missing\n", c.Evicted)
	}
	return nil
}
