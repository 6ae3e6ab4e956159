package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rehearse/rehearse/reports"
	"github.com/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/verdict"
)

// renderers are the formats of `rehearse report`, by name.
var renderers = map[string]func(io.Writer, *result.Result) error{
	"text":     reports.Text,
	"md":       reports.Markdown,
	"markdown": reports.Markdown,
	"junit":    reports.JUnit,
	"html":     reports.HTML,
	"json":     reports.JSON,
}

func formatNames() string {
	names := make([]string, 0, len(renderers))
	for name := range renderers {
		names = append(names, name)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func newReportCmd() *cobra.Command {
	var format, out string
	cmd := &cobra.Command{
		Use:   "report RESULT.json [--format text|md|junit|html|json] [-o FILE]",
		Short: "Render a saved result again, without a database",
		Long: `report reads a result written by --json (or by suite --out) and renders it in
another format: text (the terminal summary), md (the Markdown sign-off for a
pull request), junit (JUnit XML for CI), html (a self-contained page with
charts) or json. It never connects to PostgreSQL.

Exit codes: 0 rendered (whatever the verdict), 2 the result could not be read
or written.`,
		Args: exactArgs(1, "one RESULT.json (written by --json or suite --out)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			render, ok := renderers[format]
			if !ok {
				return cannotRun(fmt.Errorf("unknown --format %q: want one of %s", format, formatNames()))
			}
			res, err := reports.ReadJSON(args[0])
			if err != nil {
				return cannotRun(err)
			}
			if res.Hazards == nil { // written before results carried them
				res.Hazards = verdict.Hazards(res)
			}
			if out == "" || out == "-" {
				if err := render(cmd.OutOrStdout(), res); err != nil {
					return cannotRun(fmt.Errorf("render %s: %w", format, err))
				}
				return nil
			}
			if err := reports.WriteFile(out, res, render); err != nil {
				return cannotRun(err)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "text", "output format: text, md, junit, html or json")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to `FILE` instead of standard output")
	return cmd
}
