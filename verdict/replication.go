package verdict

import (
	"fmt"

	"github.com/rehearse/rehearse/internal/human"
	"github.com/rehearse/rehearse/result"
)

// replicationLagCheck is the max_replication_lag check: the longest the
// standby was behind in replaying the primary's WAL (result.Replication
// says how that is measured). Judge calls it when
// thresholds.max_replication_lag is set; limitMS is in ms. Without a
// standby that streamed, nothing was measured and the check fails rather
// than pass unseen, as it does when sampling stopped part way.
func replicationLagCheck(limitMS float64, rep *result.Replication) result.Check {
	c := result.Check{Name: "max_replication_lag", Limit: human.MS(limitMS)}
	switch {
	case rep == nil:
		c.Observed = "not measured: no standby was started"
		return c
	case rep.Standbys == 0:
		c.Observed = "not measured: no standby was streaming"
		return c
	}
	c.Pass = rep.MaxReplayLagMS <= limitMS
	c.Observed = human.MS(rep.MaxReplayLagMS)
	if rep.MaxReplayLagPhase != "" && rep.MaxReplayLagMS > 0 {
		c.Observed += " in phase " + rep.MaxReplayLagPhase
	}
	c.Observed += fmt.Sprintf(" (at most %s of WAL behind)", human.Bytes(rep.MaxLagBytes))
	if rep.Error != "" {
		// The rest of the run was not seen: the check cannot vouch for it.
		c.Pass = false
		c.Observed += "; sampling stopped early: " + rep.Error
	}
	return c
}
