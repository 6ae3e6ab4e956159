package main

import (
	"github.com/spf13/cobra"

	"github.com/rehearse/rehearse/scenarios"
)

func newSchemaCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of scenario files, for editors",
		Long: `schema prints the JSON Schema of a scenario file, generated from the types the
loader reads, with their documentation as descriptions. An editor with a YAML
language server checks and completes a scenario that starts with

  # yaml-language-server: $schema=` + scenarios.SchemaURL + `

(or a path to a saved copy: rehearse schema > scenario.schema.json). The schema
checks the shape of the file; rehearse validate checks everything else.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := cmd.OutOrStdout().Write(scenarios.SchemaJSON)
			return err
		},
	}
}
