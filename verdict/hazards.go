package verdict

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/rehearse/rehearse/internal/human"
	"github.com/rehearse/rehearse/internal/pgsql"
	"github.com/rehearse/rehearse/result"
)

// Hazards derives the hazards found in a result, most serious first, each
// kind once. It reads only r.
func Hazards(r *result.Result) []result.Hazard {
	var out []result.Hazard
	seen := map[string]bool{}
	add := func(key string, h result.Hazard) {
		if !seen[key] {
			seen[key] = true
			out = append(out, h)
		}
	}
	for _, s := range r.Steps {
		for _, rel := range s.Rewrote {
			add("rewrite "+s.Name+rel, result.Hazard{
				What: fmt.Sprintf("step %s rewrote %s under %s", s.Name, rel, lockOf(s, rel)),
				Fix:  "add a new column, backfill it in batches and switch to it (expand/contract) instead of changing the table in place",
			})
		}
		for _, sc := range s.Scans {
			// A rewrite reads the table too; its hazard already says so.
			if sc.BlocksWrites && !slices.Contains(s.Rewrote, sc.Relation) {
				add("scan "+s.Name+sc.Relation, result.Hazard{
					What: fmt.Sprintf("step %s read all of %s (%s) holding %s: writes waited for the whole scan", s.Name, sc.Relation, human.RowsRead(sc.Rows, sc.Passes), sc.Mode),
					Fix:  scanFix(s, sc.Relation),
				})
			}
		}
	}
	if e, ok := deepestChain(r.LockWaits.Events); ok {
		add("queue", result.Hazard{
			What: fmt.Sprintf("%s query %s queued behind a waiting %s, itself blocked by %s (%s)", e.Workload, e.Query,
				human.Clip(e.Chain[1].Query, 60), e.BlockedByApp, human.Clip(e.BlockedBy, 60)),
			Fix: "give the DDL a short lock_timeout and retry it (retry: in the step), so that it never sits in the lock queue; or cancel the long query, or wait for a quiet window",
		})
	}
	for _, w := range r.Workloads {
		for _, q := range w.Queries {
			if n := q.ErrorsBySQLState["0A000"]; n > 0 {
				what := fmt.Sprintf("%s query %s failed %d times with 0A000 (cached plan must not change result type)", w.Name, q.Name, n)
				if conns := w.ConnectionsBySQLState["0A000"]; conns > 0 {
					what += fmt.Sprintf(", on %d connections: every instance of the application logs it", conns)
				}
				add("0A000 "+w.Name+q.Name, result.Hazard{What: what,
					Fix: "do not change the row a prepared query returns in place: list columns explicitly instead of SELECT * (an added column changes it), " +
						"add a new column instead of changing a type; or have the driver re-prepare (DISCARD ALL, reconnect) when the schema changes"})
			}
		}
	}
	for _, c := range r.Compatibility {
		if c.Running && !c.OK {
			add("compat "+c.Workload+c.Query, result.Hazard{
				What: fmt.Sprintf("%s query %s no longer works after %s (%s %s)", c.Workload, c.Query, c.AfterStep, c.SQLState, c.Error),
				Fix:  "keep what the query uses until the code that runs it is retired: move the step to a later deploy (contract), or stop that workload first (stop_after)",
			})
		}
	}
	if w, ok := worstPoolWait(r.Workloads); ok {
		add("pool", result.Hazard{
			What: fmt.Sprintf("%s requests waited up to %s for a free connection: the pool stalled behind a lock", w.Name, human.MS(w.PoolWait.MaxMS)),
			Fix:  "bound how long the DDL may wait and hold its lock (lock_timeout with retries), so that connections are not all stuck behind it",
		})
	}
	return out
}

func lockOf(s result.Step, relation string) string {
	for _, l := range s.Locks {
		if l.Relation == relation {
			return l.Mode
		}
	}
	return "its lock"
}

// scanFix names the safe form of a statement that scanned under a
// write-blocking lock.
func scanFix(s result.Step, relation string) string {
	sql := strings.ToUpper(scanningSQL(s, relation))
	switch {
	case strings.HasPrefix(sql, "UPDATE") || strings.HasPrefix(sql, "DELETE") || strings.HasPrefix(sql, "WITH"):
		return "run the " + strings.Fields(sql)[0] + " as a batched step (batch:) of its own, outside the transaction whose DDL holds the lock: each batch then holds only row locks"
	case strings.Contains(sql, "SET NOT NULL"):
		return "add CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT it (no write lock), then SET NOT NULL uses the check and skips the scan"
	case strings.Contains(sql, "CREATE INDEX") || strings.Contains(sql, "UNIQUE"):
		return "CREATE INDEX CONCURRENTLY (transaction: false), then ADD CONSTRAINT ... USING INDEX for a unique constraint"
	case strings.Contains(sql, "FOREIGN KEY") || strings.Contains(sql, "CHECK"):
		return "add the constraint NOT VALID, then VALIDATE CONSTRAINT in a later step: validation takes a lock that lets writes through"
	default:
		return "split the change so that the scan runs under a lock that lets writes through (NOT VALID then VALIDATE, CONCURRENTLY)"
	}
}

// scanningSQL is the statement of the step that read relation under a lock
// blocking writes, so that the fix fits the statement that did the harm;
// the whole step's SQL when statements were not traced.
func scanningSQL(s result.Step, relation string) string {
	for _, st := range s.Statements {
		for _, sc := range st.Scans {
			if sc.Relation == relation && sc.BlocksWrites {
				return st.SQL[pgsql.SkipSpaceAndComments(st.SQL, 0):]
			}
		}
	}
	return stepSQL(s)
}

func stepSQL(s result.Step) string {
	var parts []string
	for _, st := range s.Statements {
		parts = append(parts, st.SQL)
	}
	return strings.Join(parts, ";")
}

// deepestChain is the traffic wait that queued behind a waiting statement
// (depth two or more), the longest such.
func deepestChain(events []result.LockEvent) (result.LockEvent, bool) {
	var best result.LockEvent
	found := false
	for _, e := range events {
		if e.Depth >= 2 && len(e.Chain) >= 3 && result.IsTraffic(e.Workload) && (!found || e.WaitMS > best.WaitMS) {
			best, found = e, true
		}
	}
	return best, found
}

// poolWaitHazardMS is the pool wait from which a stall is worth a hazard.
const poolWaitHazardMS = 100

func worstPoolWait(ws []result.Workload) (result.Workload, bool) {
	sorted := append([]result.Workload(nil), ws...)
	sort.SliceStable(sorted, func(i, j int) bool { return poolMax(sorted[i]) > poolMax(sorted[j]) })
	if len(sorted) > 0 && poolMax(sorted[0]) >= poolWaitHazardMS {
		return sorted[0], true
	}
	return result.Workload{}, false
}

func poolMax(w result.Workload) float64 {
	if w.PoolWait == nil {
		return 0
	}
	return w.PoolWait.MaxMS
}
