package rehearse

import (
	"os"

	"github.com/rehearse/rehearse/lint"
	"github.com/rehearse/rehearse/scenarios"
)

// withSessionDefaults returns sc, or a copy of it whose migration and
// rollback steps without a lock_timeout (statement_timeout) of their own
// have the migration role's. The caller's scenario is left as it was.
func withSessionDefaults(sc *scenarios.Scenario, o options) *scenarios.Scenario {
	if o.lockTimeout <= 0 && o.statementTimeout <= 0 {
		return sc
	}
	cp := *sc
	cp.Migration.Steps = stepsWithDefaults(sc.Migration.Steps, o)
	cp.Migration.Rollback = stepsWithDefaults(sc.Migration.Rollback, o)
	return &cp
}

func stepsWithDefaults(steps []*scenarios.Step, o options) []*scenarios.Step {
	out := make([]*scenarios.Step, len(steps))
	for i, st := range steps {
		if st == nil {
			continue
		}
		c := *st
		if c.LockTimeout == 0 && o.lockTimeout > 0 {
			c.LockTimeout = scenarios.Duration(o.lockTimeout)
		}
		if c.StatementTimeout == 0 && o.statementTimeout > 0 {
			c.StatementTimeout = scenarios.Duration(o.statementTimeout)
		}
		out[i] = &c
	}
	return out
}

// lintFindings lints the scenario and applies the lint policy: by default
// the suppression comments of the files its steps come from.
func lintFindings(sc *scenarios.Scenario, o options) []lint.Finding {
	p := lint.Policy{Read: os.ReadFile}
	if o.lintPolicy != nil {
		p = *o.lintPolicy
	}
	kept, _ := p.Apply(lint.Scenario(sc), sc.Migration.Steps)
	return kept
}
