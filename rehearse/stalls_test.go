package rehearse_test

import (
	"context"
	"testing"

	"github.com/rehearse/rehearse/rehearse"
	"github.com/rehearse/rehearse/result"
)

// TestRunExplainsALockStall holds ACCESS EXCLUSIVE for 1 s in a step: the
// result must list a stall of the traffic caused by a lock, with its chain,
// next to the wait events, server counters and harness self-check.
func TestRunExplainsALockStall(t *testing.T) {
	sc := parse(t, tinyScenario+`
migration:
  steps:
    - {name: hold, sql: "LOCK TABLE t IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(1)"}
phases: {baseline: 1s, cooldown: 300ms}
`)
	res, err := rehearse.Run(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	var lock *result.Stall
	for i, s := range res.Stalls {
		if s.Cause == result.CauseLock && s.Phase == "hold" {
			lock = &res.Stalls[i]
		}
	}
	if lock == nil || len(lock.Chain) == 0 || lock.LengthMS < 800 {
		t.Fatalf("stalls %+v: want a lock stall of the step with its chain", res.Stalls)
	}
	sawLock := false
	if res.WaitEvents != nil {
		for _, p := range res.WaitEvents.ByPhase {
			for _, w := range p.Waits {
				sawLock = sawLock || p.Phase == "hold" && p.Workload == "old" && w.Event == "Lock:relation"
			}
		}
	}
	if !sawLock {
		t.Errorf("wait events %+v: no Lock:relation of old in hold", res.WaitEvents)
	}
	phases := map[string]bool{}
	for _, c := range res.ServerCounters {
		phases[c.Phase] = true
	}
	if !phases["baseline"] || !phases["hold"] || !phases["cooldown"] {
		t.Errorf("server counters for phases %v, want baseline, hold and cooldown", phases)
	}
	if res.Harness == nil || len(res.Harness.Seconds) == 0 || res.StallRule == nil {
		t.Errorf("no harness self-check or stall rule: %+v", res.Harness)
	}
}
