package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rehearse/rehearse/internal/human"
	"github.com/rehearse/rehearse/internal/sweep"
	"github.com/rehearse/rehearse/reports"
	"github.com/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
)

type sweepFlags struct {
	runFlags
	sizes string
	at    string
	out   string
}

func newSweepCmd() *cobra.Command {
	var f sweepFlags
	cmd := &cobra.Command{
		Use:   "sweep SCENARIO [--sizes 1M,4M,16M] [--at 500M]",
		Short: "Rehearse one migration at several data sizes and extrapolate each step's figures to production size",
		Long: `sweep rehearses the scenario once per size. A size is the row count of its
largest table in data.tables. Every table is scaled by the same factor, so
their ratios stay. For each migration step it fits a line through the
step's duration, its longest lock hold, its WAL (with postgres.replica) and
the longest traffic wait during it, against rows. With --at (the production
row count of that largest table; default: data.sweep.at, else that table's
rows in data.profile) it predicts each figure there, with the fit's error.
Without --sizes it sweeps data.sweep.sizes. When the smaller sizes do not predict the largest (R² below
0.95, or the line through them more than 25% off at the largest), it says
the trend is not linear enough to extrapolate instead of predicting.

Exit codes: 0 every size was rehearsed (whatever the verdicts), 2 one could not run.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSweep(cmd, args[0], f)
		},
	}
	f.registerRehearsal(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.sizes, "sizes", "", "row counts of the largest table to rehearse at, `1M,4M,16M` (k, M, G suffixes; at least 3 to extrapolate; default: data.sweep.sizes)")
	fl.StringVar(&f.at, "at", "", "production `ROWS` of the largest table, to predict at (for example 500M; default: data.sweep.at, else its rows in data.profile)")
	fl.StringVar(&f.out, "out", "", "write each size's result as `DIR`/<stem>-<rows>.json")
	return cmd
}

// parseRows reads 1M, 500k, 2.5G or 1_000_000 (at least one row).
func parseRows(s string) (float64, error) {
	n, err := scenarios.ParseCount(s)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%q: want a row count such as 4M, 500k or 1000000", s)
	}
	return float64(n), nil
}

// sweepSizes returns the sizes to rehearse at and the production size to
// predict at (0: none), from the flags, else data.sweep, else (for the
// production size) data.profile's row count of the largest table. from
// says where the production size came from.
func sweepSizes(sc *scenarios.Scenario, f sweepFlags) (sizes []float64, at float64, from string, err error) {
	sw := sc.Data.Sweep
	switch {
	case f.sizes != "":
		for _, s := range strings.Split(f.sizes, ",") {
			n, err := parseRows(s)
			if err != nil {
				return nil, 0, "", fmt.Errorf("--sizes: %w", err)
			}
			sizes = append(sizes, n)
		}
	case sw != nil:
		for _, n := range sw.Sizes {
			sizes = append(sizes, float64(n))
		}
	default:
		return nil, 0, "", errors.New("no sizes to sweep: give --sizes 1M,4M,16M or data.sweep.sizes in the scenario")
	}
	largest := sc.Data.LargestTable()
	switch {
	case f.at != "":
		n, err := parseRows(f.at)
		if err != nil {
			return nil, 0, "", fmt.Errorf("--at: %w", err)
		}
		return sizes, n, "--at", nil
	case sw != nil && sw.At > 0:
		return sizes, float64(sw.At), "data.sweep.at", nil
	}
	if prod := sc.Data.ProductionRows(largest); prod > 0 {
		return sizes, float64(prod), "its rows in data.profile", nil
	}
	return sizes, 0, "", nil
}

func runSweep(cmd *cobra.Command, path string, f sweepFlags) error {
	sc, err := scenarios.Load(path)
	if err != nil {
		return cannotRun(err)
	}
	sizes, at, atFrom, err := sweepSizes(sc, f)
	if err != nil {
		return cannotRun(err)
	}
	if at > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "predicting at %s rows of %s (%s)\n", human.Count(int64(at)), sc.Data.LargestTable(), atFrom)
	}
	stem := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	var results []*result.Result
	for i, size := range sizes {
		sc, err := scenarios.Load(path)
		if err != nil {
			return cannotRun(err)
		}
		if err := scaleTables(sc, size); err != nil {
			return cannotRun(err)
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "[%d/%d] rehearsing %s at %s rows\n", i+1, len(sizes), path, human.Count(int64(size)))
		opts, err := rehearseOptions(cmd, sc, f.runFlags)
		if err != nil {
			return cannotRun(err)
		}
		res, runErr := runRetrying(cmd, sc, opts, f.retryInvalid)
		if runErr != nil {
			return cannotRun(fmt.Errorf("at %s rows: %w", human.Count(int64(size)), runErr))
		}
		if f.out != "" {
			if err := reports.WriteFile(filepath.Join(f.out, fmt.Sprintf("%s-%d.json", stem, int64(size))), res, reports.JSON); err != nil {
				return cannotRun(err)
			}
		}
		verdict := "PASS"
		if !res.Verdict.Pass {
			verdict = "FAIL"
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%-4s at %s rows\n", verdict, human.Count(int64(size)))
		results = append(results, res)
	}
	printSweep(cmd.OutOrStdout(), sweep.Collect(sizes, results), at)
	return nil
}

// scaleTables sets the largest table of data.tables to rows and the others
// in proportion (at least 1 row where they had rows).
func scaleTables(sc *scenarios.Scenario, rows float64) error {
	var largest float64
	for _, t := range sc.Data.Tables {
		largest = math.Max(largest, float64(t.Rows))
	}
	if largest <= 0 {
		return errors.New("sweep needs data.tables with rows: the sizes scale them")
	}
	if rows > scenarios.MaxRows {
		return fmt.Errorf("--sizes %s: at most %s rows a table", human.Count(int64(rows)), human.Count(scenarios.MaxRows))
	}
	for _, t := range sc.Data.Tables {
		if t.Rows > 0 {
			t.Rows = scenarios.Count(max(1, math.Round(float64(t.Rows)*rows/largest)))
		}
	}
	return nil
}

func printSweep(w io.Writer, series []sweep.Series, at float64) {
	fmt.Fprintln(w)
	for _, s := range series {
		var pts []string
		for _, p := range s.Points {
			pts = append(pts, human.Count(int64(p.Rows))+": "+formatFigure(s.Figure, p.Value))
		}
		fmt.Fprintf(w, "%s %s: %s\n", s.Step, s.Figure, strings.Join(pts, ", "))
		if s.FitErr != nil {
			fmt.Fprintf(w, "  no fit: %v\n", s.FitErr)
			continue
		}
		sign, slope := "+", s.Fit.Slope*1e6
		if slope < 0 {
			sign, slope = "−", -slope
		}
		fmt.Fprintf(w, "  fit: %s %s %s per 1M rows (R² %.3f, largest error at a measured size %.0f%%)\n",
			formatFigure(s.Figure, s.Fit.Intercept), sign, formatFigure(s.Figure, slope), s.Fit.R2, 100*s.Fit.MaxRelErr)
		if at == 0 {
			continue
		}
		if ok, why := s.Extrapolable(); !ok {
			fmt.Fprintf(w, "  at %s rows: not predicted: %s\n", human.Count(int64(at)), why)
			continue
		}
		fmt.Fprintf(w, "  at %s rows: %s ± %.0f%% (the smaller sizes predicted the largest %.0f%% off)\n",
			human.Count(int64(at)), formatFigure(s.Figure, s.Fit.At(at)), 100*max(s.Fit.MaxRelErr, s.Fit.HoldOutErr), 100*s.Fit.HoldOutErr)
	}
}

func formatFigure(name string, v float64) string {
	if name == sweep.WAL {
		return human.Bytes(int64(v))
	}
	return human.MS(v)
}
