package lint

import "testing"

func TestRefreshMatviewNotConcurrent(t *testing.T) {
	runRuleCases(t, RuleRefreshMatview, []ruleCase{
		{"refresh", []step{{sql: "REFRESH MATERIALIZED VIEW totals"}}, nil, Error, true},
		{"refresh concurrently", []step{{sql: "REFRESH MATERIALIZED VIEW CONCURRENTLY totals"}}, nil, 0, false},
	})
}
