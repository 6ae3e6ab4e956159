package lint

import (
	"strings"
	"testing"

	"github.com/rehearse/rehearse/internal/pglock"
)

func TestCheck(t *testing.T) {
	yes, no := true, false
	rewrite := Finding{Relation: "users", Lock: "AccessExclusiveLock", Effect: EffectRewrite}
	fails := Finding{Relation: "users", Effect: EffectFails, SQLState: "25001"}
	tests := []struct {
		name string
		f    Finding
		m    Measured
		want Proof
	}{
		{"did not run", rewrite, Measured{}, NotExercised},
		{"lock and rewrite seen", rewrite, Measured{Ran: true, Locks: map[string]pglock.Mode{"users": pglock.AccessExclusive}, Rewrote: []string{"users"}}, Confirmed},
		{"weaker lock", rewrite, Measured{Ran: true, Locks: map[string]pglock.Mode{"users": pglock.Share}, Rewrote: []string{"users"}}, Mismatch},
		{"no rewrite", rewrite, Measured{Ran: true, Locks: map[string]pglock.Mode{"users": pglock.AccessExclusive}, Rewrote: []string{}}, Mismatch},
		{"locks not traced, rewrite seen", rewrite, Measured{Ran: true, Rewrote: []string{"users"}}, Confirmed},
		{"nothing traced", rewrite, Measured{Ran: true}, NotExercised},
		{"failed as claimed", fails, Measured{Ran: true, SQLState: "25001"}, Confirmed},
		{"did not fail", fails, Measured{Ran: true}, Mismatch},
		{"failed otherwise", rewrite, Measured{Ran: true, SQLState: "55P03"}, NotExercised},
		{"broke", Finding{Effect: EffectBreaks}, Measured{Ran: true, Broke: &yes}, Confirmed},
		{"did not break", Finding{Effect: EffectBreaks}, Measured{Ran: true, Broke: &no}, Mismatch},
	}
	for _, tc := range tests {
		got, why := tc.f.Check(tc.m)
		if got != tc.want || why == "" {
			t.Errorf("%s: %s (%s), want %s", tc.name, got, why, tc.want)
		}
	}
}

// Every hazard class of squawk's rule set named in issue 19 maps to a rule.
func TestSquawkCoverage(t *testing.T) {
	squawk := `adding-field-with-default adding-foreign-key-constraint adding-not-nullable-field adding-required-field
adding-serial-primary-key-field ban-char-field ban-concurrent-index-creation-in-transaction ban-drop-column
ban-drop-database ban-drop-not-null ban-drop-table changing-column-type constraint-missing-not-valid
disallowed-unique-constraint prefer-bigint-over-int prefer-bigint-over-smallint prefer-identity prefer-robust-stmts
prefer-text-field prefer-timestamptz renaming-column renaming-table require-concurrent-index-creation
require-concurrent-index-deletion transaction-nesting ban-create-domain-with-constraint
ban-alter-domain-with-add-constraint ban-truncate-cascade require-lock-timeout require-statement-timeout
ban-uncommitted-transaction require-enum-value-ordering require-table-schema identifier-too-long
require-concurrent-partition-detach require-concurrent-reindex ban-duplicate-column-assignments`
	mapped := map[string]bool{}
	for _, r := range Rules() {
		for _, id := range strings.Split(r.SquawkEquivalent, ",") {
			mapped[strings.TrimSpace(id)] = true
		}
	}
	for _, id := range strings.Fields(squawk) {
		if !mapped[id] {
			t.Errorf("squawk's %s has no equivalent rule", id)
		}
	}
}
