package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rehearse/rehearse/docs/rules"
	"github.com/rehearse/rehearse/lint"
)

func newExplainCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "explain RULE",
		Short: "Print a lint rule's page: why it blocks, which lock, the safe form, an example",
		Long: `explain prints the documentation page of a lint rule (docs/rules/RULE.md), the
page findings link to. rehearse lint --list-rules lists the rules.`,
		Args: exactArgs(1, "one RULE (see rehearse lint --list-rules)"),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			var ids []string
			for _, r := range lint.Rules() {
				ids = append(ids, r.ID)
			}
			return ids, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			page, ok := rules.Page(args[0])
			if !ok || !lint.KnownRule(strings.ToLower(args[0])) {
				return cannotRun(fmt.Errorf("explain: no rule %q%s (see rehearse lint --list-rules)", args[0], suggestRule(args[0])))
			}
			_, err := fmt.Fprint(cmd.OutOrStdout(), page)
			return err
		},
	}
}

// suggestRule returns "; did you mean X?" for a part of a known rule id
// ("concurrent", "lock-timeout"), else "".
func suggestRule(id string) string {
	id = strings.ToLower(id)
	for _, r := range lint.Rules() {
		if strings.Contains(r.ID, id) || strings.Contains(id, r.ID) {
			return "; did you mean " + r.ID + "?"
		}
	}
	return ""
}
