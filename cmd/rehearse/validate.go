package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rehearse/rehearse/scenarios"
)

func newValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate SCENARIO.yaml...",
		Short: "Check scenario files without starting anything",
		Long: `validate loads each scenario, checks its keys, values and references, and parses
its SQL with the PostgreSQL parser. It starts no database. Exit code 2 when a
file has a problem; every problem is listed as FILE:LINE:COLUMN: message.`,
		Args: minArgs("SCENARIO.yaml files to check"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var failed error
			for _, path := range args {
				sc, err := scenarios.Load(path)
				if err != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), err)
					failed = errors.New("invalid scenario")
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: ok (%s: %s, %s, %s)\n", path, sc.Name, plural(len(sc.Data.Tables), "table"),
					plural(len(sc.Traffic.Workloads()), "workload"), plural(len(sc.Migration.Steps), "step"))
			}
			if failed != nil {
				return &exitError{code: exitCannotRun}
			}
			return nil
		},
	}
}
