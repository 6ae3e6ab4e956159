package main

import (
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rehearse/rehearse/internal/human"
	"github.com/rehearse/rehearse/provider"
	"github.com/rehearse/rehearse/rehearse"
	"github.com/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
)

func newDatagenCmd() *cobra.Command {
	var (
		target provider.DSN
		seed   int64
		quiet  bool
	)
	cmd := &cobra.Command{
		Use:   "datagen SCENARIO.yaml --dsn URL --disposable",
		Short: "Load only a scenario's data into an existing database",
		Long: `datagen loads the data a rehearsal of SCENARIO would load (data.tables and
data.profile), and nothing else, into an existing database whose schema is
already there: to prepare a staging clone, or to compare datagen with a plain
COPY. It drops and re-creates the loaded tables' indexes and constraints, as
a rehearsal's load does, then vacuums and analyses them, and prints the rows
per second of each table. It refuses a database without --disposable, and,
without --force-nonempty, one with other sessions or rows in the tables to load.`,
		Args: exactArgs(1, "one SCENARIO.yaml"),
		RunE: func(cmd *cobra.Command, args []string) error {
			sc, err := scenarios.Load(args[0])
			if err != nil {
				return cannotRun(err)
			}
			if target.URL = dsnOrEnv(target.URL); target.URL == "" {
				return cannotRun(errors.New("datagen: give --dsn URL of the database to load into (or set DATABASE_URL, or PGHOST and the other PG* variables)"))
			}
			var opts []rehearse.Option
			if !quiet {
				opts = append(opts, rehearse.WithProgress(cmd.ErrOrStderr(), isTerminal(cmd.ErrOrStderr())))
			}
			if cmd.Flags().Changed("seed") {
				opts = append(opts, rehearse.WithSeed(seed))
			}
			loaded, err := rehearse.LoadData(cmd.Context(), sc, target, opts...)
			if len(loaded.Tables) > 0 {
				printLoad(cmd.OutOrStdout(), loaded)
			}
			return cannotRunIf(err)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&target.URL, "dsn", "", "the database to load into (`URL`; default $DATABASE_URL, else libpq's PG* variables); its schema must exist")
	fl.BoolVar(&target.Disposable, "disposable", false, "confirm that the --dsn database may be changed: rows are written and the loaded tables' indexes and constraints dropped and re-created")
	fl.BoolVar(&target.ForceNonEmpty, "force-nonempty", false, "load even though other sessions are connected or the tables already have rows")
	fl.Int64Var(&seed, "seed", 0, "override the scenario's data.seed")
	fl.BoolVarP(&quiet, "quiet", "q", false, "no progress lines on stderr")
	return cmd
}

// printLoad prints rows per second of each table (its rows over the time
// from its first chunk to its last) and of the whole load (indexes,
// constraints, vacuum and analyze included).
func printLoad(w io.Writer, d result.Data) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "table\trows\tsize\tcopy time\trows/s\t")
	var rows int64
	for _, t := range d.Tables {
		rows += t.Rows
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", t.Name, human.Count(t.Rows), human.Bytes(t.Bytes),
			human.MS(float64(t.LoadMS)), rate(t.Rows, t.LoadMS))
	}
	fmt.Fprintf(tw, "total\t%s\t\t%s\t%s\t\n", human.Count(rows), human.MS(float64(d.LoadMS)), rate(rows, d.LoadMS))
	tw.Flush()
	fmt.Fprintln(w, "(total: from the first row to the last index, constraint, vacuum and analyze)")
}

func rate(rows, ms int64) string {
	if ms <= 0 {
		return "-"
	}
	return human.Count(int64(float64(rows) / (float64(ms) / 1000)))
}
