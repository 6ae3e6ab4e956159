package rules_test

import (
	"strings"
	"testing"

	"github.com/rehearse/rehearse/docs/rules"
	"github.com/rehearse/rehearse/lint"
)

// pending are the rules that have no page yet: `rehearse explain` prints
// their registry entry instead. The list may only shrink: a rule that gets
// a page must leave it, and a new rule must come with a page.
var pending = map[string]bool{}

// Every rule of the registry, and every suppression finding, has a page
// that starts with its id.
func TestEveryRuleHasAPage(t *testing.T) {
	ids := append([]string{}, lint.SuppressionRules...)
	for _, r := range lint.Rules() {
		ids = append(ids, r.ID)
	}
	for _, id := range ids {
		page, ok := rules.Page(id)
		if ok == pending[id] {
			if ok {
				t.Errorf("rule %s has a page now: take it off the pending list", id)
			} else {
				t.Errorf("rule %s has no page docs/rules/%s.md", id, id)
			}
			continue
		}
		if !ok {
			if !strings.HasSuffix(rules.URL(id), "/README.md") {
				t.Errorf("rule %s without a page links to %s", id, rules.URL(id))
			}
			continue
		}
		if !strings.Contains(strings.SplitN(page, "\n", 2)[0], id) {
			t.Errorf("page of %s does not start with its id: %q", id, strings.SplitN(page, "\n", 2)[0])
		}
		if !lint.KnownRule(id) {
			t.Errorf("%s is not known to lint", id)
		}
	}
	if _, ok := rules.Page("no-such-rule"); ok {
		t.Error("a page for no-such-rule")
	}
}
