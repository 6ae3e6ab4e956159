package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rehearse/rehearse/autoscenario"
)

func newInitCmd() *cobra.Command {
	var df dirFlags
	var out string
	var force bool
	cmd := &cobra.Command{
		Use:   "init MIGRATIONS_DIR",
		Short: "Write the scenario that `rehearse MIGRATIONS_DIR` would run, to edit and check in",
		Long: `init infers a rehearsal from a migration directory exactly as ` + "`rehearse DIR`" + ` does
(the pending files, rows for every baseline table, old- and new-code traffic,
default thresholds) and writes it as a commented scenario file. The file
validates as it is and runs the same rehearsal: ` + "`rehearse scenario.yaml`" + `.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !isDir(args[0]) {
				return cannotRun(fmt.Errorf("%s is not a directory of migration files", args[0]))
			}
			if _, err := os.Stat(out); err == nil && !force {
				return cannotRun(fmt.Errorf("%s exists: give --force to replace it, or -o another file", out))
			}
			plan, err := autoscenario.Build(args[0], df.options(out))
			if err != nil {
				return cannotRun(err)
			}
			line := strings.Replace(commandLine(cmd, args[0], map[string]bool{"force": true}), "rehearse ", "rehearse init ", 1)
			text := plan.YAML(line)
			if err := os.WriteFile(out, text, 0o644); err != nil {
				return cannotRun(fmt.Errorf("write scenario: %w", err))
			}
			queries := 0
			for _, w := range plan.Scenario.Traffic.Workloads() {
				queries += len(w.Queries)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d tables, %d queries, %d steps (%s); run it with: rehearse %s\n",
				out, len(plan.Scenario.Data.Tables), queries, len(plan.Pending), plan.How, shellQuote(out))
			return nil
		},
	}
	df.register(cmd)
	cmd.Flags().StringVarP(&out, "output", "o", "rehearse.yaml", "write the scenario to `FILE`; the migration directory must be inside its directory")
	cmd.Flags().BoolVar(&force, "force", false, "replace the output file if it exists")
	return cmd
}
