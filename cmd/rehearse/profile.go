package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"github.com/rehearse/rehearse/datagen"
	"github.com/rehearse/rehearse/internal/dbconn"
	"github.com/rehearse/rehearse/provider"
	"github.com/rehearse/rehearse/scenarios"
)

// withValuesHelp is --with-values' help: it is the one flag that makes a
// profile hold production data, and must say so where it is chosen.
const withValuesHelp = "also read each column's most common values, their frequencies and histogram bounds, " +
	"so that generated data draws the same values. These are REAL VALUES FROM THE DATABASE, possibly personal " +
	"data (PII: names, emails, addresses): the profile file then holds them and must be handled like the data itself"

func newProfileCmd() *cobra.Command {
	var (
		dsn        string
		withValues bool
		tables     []string
		outPath    string
		stmts      statementFlags
	)
	cmd := &cobra.Command{
		Use:   "profile --dsn URL [--with-values] [--tables a,b] > profile.json",
		Short: "Read a database's statistics into a profile that scenarios can generate data from",
		Long: `profile reads what PostgreSQL's statistics say about a database, typically
production: per table the planner's row estimate (pg_class.reltuples,
relpages), per column the share of NULLs, the number of distinct values, the
average width and the correlation with the row order (pg_stats). It reads no
table and, without --with-values, no value: the profile holds numbers only.
It connects read-only (default_transaction_read_only).

A scenario then uses it with data: {profile: profile.json, scale: 0.1}: every
profiled table is loaded with its row count times scale, and the columns the
scenario does not describe get the profile's shapes. Statistics are as fresh
as the last ANALYZE: a table never analysed has no row estimate (run ANALYZE
on it first).

With --statements it also measures the traffic: pg_stat_statements is read
twice, --window apart, and each statement on the profiled tables is stored
with its calls per second, mean and standard deviation of execution time and
rows per call, and its normalized text (constants replaced by $n by
PostgreSQL itself). A scenario replays them with traffic.old.from_profile.

Without --dsn the connection is taken from DATABASE_URL, else from the PG*
variables (PGHOST, PGDATABASE, PGUSER, PGPASSWORD, ...). The password is
never written to the profile or to the log.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dsn = dsnOrEnv(dsn); dsn == "" {
				return cannotRun(errors.New("profile: give --dsn URL of the database to profile (or set DATABASE_URL, or PGHOST and the other PG* variables)"))
			}
			opts := []datagen.ProfileOption{datagen.ProfileTables(tables...)}
			if withValues {
				opts = append(opts, datagen.ProfileValues())
			}
			prof, err := readProfile(cmd, dsn, opts, stmts)
			if err != nil {
				return cannotRun(err)
			}
			warnUnanalysed(cmd.ErrOrStderr(), prof)
			if err := writeProfile(cmd.OutOrStdout(), outPath, prof); err != nil {
				return cannotRun(err)
			}
			columns := 0
			for _, t := range prof.Tables {
				columns += len(t.Columns)
			}
			what := "numbers only, no values"
			if withValues {
				what = "WITH VALUES: handle the file like the data itself"
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "profiled %s, %s of PostgreSQL %s (%s)\n", plural(len(prof.Tables), "table"), plural(columns, "column"), prof.ServerVersion, what)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&dsn, "dsn", "", "the database to profile (`URL`; default $DATABASE_URL, else libpq's PG* variables)")
	fl.BoolVar(&withValues, "with-values", false, withValuesHelp)
	fl.StringSliceVar(&tables, "tables", nil, "profile only these `TABLES` (a,b; schema.table outside public)")
	fl.StringVarP(&outPath, "output", "o", "", "write the profile to `FILE` instead of stdout")
	stmts.register(fl)
	return cmd
}

func readProfile(cmd *cobra.Command, dsn string, opts []datagen.ProfileOption, stmts statementFlags) (*scenarios.Profile, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("profile: parse --dsn: %w", err)
	}
	for k, v := range datagen.ProfileRuntimeParams {
		cfg.RuntimeParams[k] = v
	}
	cfg.RuntimeParams["application_name"] = dbconn.Profile
	cfg.RuntimeParams["default_transaction_read_only"] = "on"
	cfg.RuntimeParams["statement_timeout"] = "60s"
	ctx := cmd.Context()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		target := provider.Redact(dsn)
		if dsn == "" {
			target = "the database of the PG* variables"
		}
		return nil, fmt.Errorf("profile: connect to %s: %w", target, err)
	}
	defer conn.Close(ctx)
	prof, err := datagen.ReadProfile(ctx, conn, opts...)
	if err != nil || !stmts.on {
		return prof, err
	}
	return prof, readStatements(cmd, conn, prof, stmts)
}

// warnUnanalysed names the tables whose statistics are missing: a profile
// of them would load nothing, or shapeless data.
func warnUnanalysed(w io.Writer, prof *scenarios.Profile) {
	for _, t := range prof.Tables {
		switch {
		case t.Rows < 0:
			fmt.Fprintf(w, "warning: table %s has never been analysed: no row estimate (a scenario refuses it); run ANALYZE %s there and profile again\n", t.Name, t.Name)
		case len(t.Columns) == 0 && t.Rows > 0:
			fmt.Fprintf(w, "warning: table %s has no column statistics (run ANALYZE %s): its columns get datagen's defaults\n", t.Name, t.Name)
		}
	}
}

func writeProfile(stdout io.Writer, path string, prof *scenarios.Profile) error {
	raw, err := json.MarshalIndent(prof, "", "  ")
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	raw = append(raw, '\n')
	if path == "" {
		_, err = stdout.Write(raw)
		return err
	}
	// 0600: with --with-values the file holds production data.
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	return nil
}
