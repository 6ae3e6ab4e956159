package main

import (
	"github.com/spf13/cobra"

	"github.com/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
)

func newSchemaCmd() *cobra.Command {
	var ofResult bool
	cmd := &cobra.Command{
		Use:   "schema [--result]",
		Short: "Print the JSON Schema of scenario files, for editors",
		Long: `schema prints the JSON Schema of a scenario file, generated from the types the
loader reads, with their documentation as descriptions. An editor with a YAML
language server checks and completes a scenario that starts with

  # yaml-language-server: $schema=` + scenarios.SchemaURL + `

(or a path to a saved copy: rehearse schema > scenario.schema.json). The schema
checks the shape of the file; rehearse validate checks everything else.

With --result it prints the schema of the result JSON (--json FILE, suite
--out) instead, for scripts and dashboards that read results.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			schema := scenarios.SchemaJSON
			if ofResult {
				schema = result.JSONSchema
			}
			_, err := cmd.OutOrStdout().Write(schema)
			return err
		},
	}
	cmd.Flags().BoolVar(&ofResult, "result", false, "print the schema of the result JSON instead")
	return cmd
}
