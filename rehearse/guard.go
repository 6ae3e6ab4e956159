package rehearse

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rehearse/rehearse/internal/human"
	"github.com/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
)

// guardPoll is how often the abort_on guard looks at live traffic.
const guardPoll = 100 * time.Millisecond

// errGuard is the cause of a step cancelled by the abort_on guard.
var errGuard = errors.New("abort_on guard")

// guardBreach is why the guard stopped the migration.
type guardBreach struct{ reason string }

func (g *guardBreach) Error() string { return "abort_on: " + g.reason }
func (g *guardBreach) Unwrap() error { return errGuard }

// lastSeconds returns the last whole second of every running workload.
func (t *traffic) lastSeconds() map[string]result.TimelinePt {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := map[string]result.TimelinePt{}
	for name, run := range t.running {
		out[name] = run.LastSecond()
	}
	return out
}

// liveP99 is the highest p99 of any running workload over the last second.
func (t *traffic) liveP99() time.Duration {
	var worst float64
	for _, pt := range t.lastSeconds() {
		worst = max(worst, pt.P99MS)
	}
	return time.Duration(worst * float64(time.Millisecond))
}

// breach says which line of abort_on live traffic has crossed, "" if none.
func breach(a *scenarios.AbortOn, seconds map[string]result.TimelinePt, openWait time.Duration) string {
	for name, pt := range seconds {
		if a.P99 > 0 && pt.P99MS > a.P99.D().Seconds()*1000 {
			return fmt.Sprintf("%s p99 %s over the last second (limit %s)", name, human.MS(pt.P99MS), a.P99)
		}
		if a.ErrorRate > 0 && pt.Count > 0 && float64(pt.Errors)/float64(pt.Count) > a.ErrorRate {
			return fmt.Sprintf("%s error rate %.1f%% over the last second (limit %.1f%%)", name, 100*float64(pt.Errors)/float64(pt.Count), 100*a.ErrorRate)
		}
	}
	if a.LockWait > 0 && openWait > a.LockWait.D() {
		return fmt.Sprintf("a traffic query has waited %s for a lock (limit %s)", openWait.Round(time.Millisecond), a.LockWait)
	}
	return ""
}

// guardStep returns a context for one step that the abort_on guard cancels
// with a *guardBreach when live traffic crosses a line, and the function
// that ends the watch.
func (r *rehearsal) guardStep(ctx context.Context) (context.Context, func()) {
	a := r.sc.Migration.AbortOn
	if a == nil {
		return ctx, func() {}
	}
	stepCtx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(guardPoll)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if why := breach(a, r.traffic.lastSeconds(), r.monitor.OpenTrafficWait()); why != "" {
					cancel(&guardBreach{reason: why})
					return
				}
			}
		}
	}()
	return stepCtx, func() {
		close(done)
		cancel(nil)
	}
}

// guardStopped reports whether the guard cancelled stepCtx, and why.
func guardStopped(stepCtx context.Context) (*guardBreach, bool) {
	var b *guardBreach
	ok := errors.As(context.Cause(stepCtx), &b)
	return b, ok
}
