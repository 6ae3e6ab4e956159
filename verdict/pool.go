package verdict

import (
	"fmt"
	"sort"

	"github.com/rehearse/rehearse/internal/human"
	"github.com/rehearse/rehearse/result"
)

// poolWaitCheck is the max_pool_wait check: the longest any traffic request
// waited for a connection of its workload's pool, over the whole run. When
// connections stall behind a lock, this queue is where users' latency goes.
// Judge calls it when thresholds.max_pool_wait is set; limitMS is in ms.
func poolWaitCheck(limitMS float64, workloads []result.Workload) result.Check {
	c := result.Check{Name: "max_pool_wait", Limit: human.MS(limitMS), Observed: human.MS(0), Pass: true}
	var worst *result.Workload
	for i := range workloads {
		w := &workloads[i]
		if w.PoolWait != nil && (worst == nil || w.PoolWait.MaxMS > worst.PoolWait.MaxMS) {
			worst = w
		}
	}
	if worst == nil {
		c.Observed = "no requests ran"
		return c
	}
	pw := worst.PoolWait
	c.Pass = pw.MaxMS <= limitMS
	c.Observed = human.MS(pw.MaxMS)
	if !c.Pass {
		c.Observed += fmt.Sprintf(" (%s workload, pool of %d, in phase %s; p99 %s over the run)",
			worst.Name, worst.Pool, worstPhase(pw.ByPhase), human.MS(pw.P99MS))
	}
	return c
}

// worstPhase names the phase with the longest wait; ties go to the first name.
func worstPhase(byPhase map[string]result.PhaseStats) string {
	names := make([]string, 0, len(byPhase))
	for name := range byPhase {
		names = append(names, name)
	}
	sort.Strings(names)
	best := ""
	for _, name := range names {
		if best == "" || byPhase[name].MaxMS > byPhase[best].MaxMS {
			best = name
		}
	}
	return best
}
