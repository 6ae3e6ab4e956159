package rehearse

import (
	"testing"
	"time"

	"github.com/rehearse/rehearse/scenarios"
)

func TestWithSessionDefaults(t *testing.T) {
	own := &scenarios.Step{Name: "own", SQL: "SELECT 1", LockTimeout: scenarios.Duration(5 * time.Second)}
	bare := &scenarios.Step{Name: "0001_add.up", SQL: "SELECT 1"}
	sc := &scenarios.Scenario{Migration: scenarios.Migration{Steps: []*scenarios.Step{own, bare}, Rollback: []*scenarios.Step{{Name: "rb", SQL: "SELECT 1"}}}}
	got := withSessionDefaults(sc, options{lockTimeout: 2 * time.Second, statementTimeout: time.Minute})
	if got.Migration.Steps[0].LockTimeout.D() != 5*time.Second || got.Migration.Steps[0].StatementTimeout.D() != time.Minute {
		t.Errorf("own step: %+v", got.Migration.Steps[0])
	}
	if got.Migration.Steps[1].LockTimeout.D() != 2*time.Second || got.Migration.Rollback[0].LockTimeout.D() != 2*time.Second {
		t.Errorf("steps without their own: %+v, %+v", got.Migration.Steps[1], got.Migration.Rollback[0])
	}
	if bare.LockTimeout != 0 || sc.Migration.Steps[1] != bare {
		t.Error("the caller's scenario changed")
	}
	if withSessionDefaults(sc, options{}) != sc {
		t.Error("no session settings should leave the scenario as it is")
	}
}
