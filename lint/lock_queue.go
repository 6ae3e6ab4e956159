package lint

import (
	"fmt"
)

// checkLockQueue flags a statement whose lock on an existing table
// conflicts with the lock a background session of the scenario holds on
// it: the statement waits until the session ends, and every query that
// needs a conflicting lock queues behind the waiting statement. An error
// without lock_timeout; a warning with one (the step fails and can retry).
func checkLockQueue(l *linter, s *stepState) {
	for _, lk := range s.locks {
		if s.created[lk.relation] {
			continue
		}
		for _, b := range l.background {
			if b.relation != lk.relation || !lk.mode.Conflicts(b.mode) {
				continue
			}
			sev, then := Error, "and with no lock_timeout it waits as long as the session runs"
			if s.lockTimeout {
				sev, then = Warning, "until lock_timeout ends the attempt"
			}
			l.add(s, RuleLockQueue, sev, lk.relation, lk.mode,
				fmt.Sprintf("this statement needs %s lock on %s, which conflicts with the %s lock the background session %s holds: it waits for the session, %s, and every query on %s queues behind it meanwhile.",
					lk.mode.Article(), lk.relation, b.mode.Words(), b.session, then, lk.relation),
				"set a short lock_timeout with retry (lock_timeout: 2s, retry: {attempts: 5}), and run the step when no long transaction holds the table.").Effect = EffectQueues
			return
		}
	}
}
