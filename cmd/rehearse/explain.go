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
			id := strings.ToLower(args[0])
			if !lint.KnownRule(id) {
				return cannotRun(fmt.Errorf("explain: no rule %q%s (see rehearse lint --list-rules)", args[0], suggestRule(args[0])))
			}
			page, ok := rules.Page(id)
			if !ok {
				page = registryPage(id)
			}
			_, err := fmt.Fprint(cmd.OutOrStdout(), page)
			return err
		},
	}
}

// registryPage is what the registry says about a rule that has no page yet.
func registryPage(id string) string {
	for _, r := range lint.Rules() {
		if r.ID != id {
			continue
		}
		var b strings.Builder
		fmt.Fprintf(&b, "# %s\n\n**Severity:** %s", r.ID, r.Severity)
		if r.Off {
			b.WriteString(" (off by default: rehearse lint --enable " + r.ID + ")")
		}
		if r.SquawkEquivalent != "" {
			b.WriteString(" · squawk: " + r.SquawkEquivalent)
		}
		fmt.Fprintf(&b, "\n\n%s.\n", strings.TrimSuffix(r.Summary, "."))
		if r.Proof != "" {
			fmt.Fprintf(&b, "\nProof on PostgreSQL: %s\n", r.Proof)
		}
		b.WriteString("\n(This rule has no page in docs/rules/ yet; its findings say what to do instead.)\n")
		return b.String()
	}
	return ""
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
