package rules_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/rehearse/rehearse/docs/rules"
	"github.com/rehearse/rehearse/lint"
	"github.com/rehearse/rehearse/scenarios"
)

// exampleOpts are what a page's SQL example needs beside the rule being
// on: the version or schema the hazard depends on.
var exampleOpts = map[string][]lint.Option{
	lint.RuleEnumAddValueInTx: {lint.WithVersion(11)},
	lint.RuleDropPrimaryKey: {lint.WithSchema("CREATE TABLE accounts (id bigint PRIMARY KEY, uuid uuid NOT NULL);" +
		" CREATE PUBLICATION pub FOR TABLE accounts;")},
}

var sqlBlock = regexp.MustCompile("(?s)```sql\n(.*?)```")

// section returns the text of the page's section whose heading starts
// with name, "" when there is none.
func section(page, name string) string {
	_, rest, ok := strings.Cut(page, "\n## "+name)
	if !ok {
		return ""
	}
	sec, _, _ := strings.Cut(rest, "\n## ")
	return sec
}

// lintExample lints sql as one step, run outside a transaction when it
// holds what cannot run in one or manages its own, as a plain SQL file is.
func lintExample(id, sql string) []lint.Finding {
	st := &scenarios.Step{Name: "example", SQL: sql}
	up := strings.ToUpper(sql)
	if strings.Contains(up, "CONCURRENTLY") || strings.Contains(up, "VACUUM") || strings.Contains(up, "BEGIN;") {
		st.Transaction = new(bool)
	}
	var out []lint.Finding
	for _, f := range lint.Steps([]*scenarios.Step{st}, append(exampleOpts[id], lint.Enable(id))...) {
		if f.Rule == id {
			out = append(out, f)
		}
	}
	return out
}

// Each page's Bad SQL example is flagged by its rule, its Safe SQL is not
// flagged as severely, the severity line starts with the rule's severity,
// and the page shows how to suppress the rule.
func TestPageExamples(t *testing.T) {
	for _, r := range lint.Rules() {
		page, ok := rules.Page(r.ID)
		if !ok {
			continue // TestEveryRuleHasAPage reports it
		}
		if !strings.Contains(page, "**Severity:** "+r.Severity.String()) {
			t.Errorf("%s: the severity line does not start with %s", r.ID, r.Severity)
		}
		if sup := section(page, "Suppress"); sup != "" && !strings.Contains(sup, "rehearse:ignore "+r.ID+" -- ") {
			t.Errorf("%s: the Suppress section has no rehearse:ignore %s -- reason", r.ID, r.ID)
		}
		bad := sqlBlock.FindStringSubmatch(section(page, "Bad"))
		if bad == nil {
			continue // a YAML example (a scenario's steps), or none
		}
		found := lintExample(r.ID, bad[1])
		if len(found) == 0 {
			t.Errorf("%s: the Bad example is not flagged:\n%s", r.ID, bad[1])
			continue
		}
		if safe := sqlBlock.FindStringSubmatch(section(page, "Safe")); safe != nil {
			for _, f := range lintExample(r.ID, safe[1]) {
				if f.Severity >= found[0].Severity {
					t.Errorf("%s: the Safe example is flagged: %s", r.ID, f.Message)
				}
			}
		}
	}
}
