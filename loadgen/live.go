package loadgen

import (
	"time"

	"github.com/rehearse/rehearse/result"
)

// LastSecond is the last whole second of the timeline, by completion time:
// what a guard or a throttle watching live traffic looks at. During a stall
// no request completes, so it reads as an empty second; the requests show
// their latency in the second they complete. Safe for concurrent use.
func (r *Run) LastSecond() result.TimelinePt {
	r.rec.mu.Lock()
	defer r.rec.mu.Unlock()
	r.rec.advance(r.rec.second(time.Now()))
	if n := len(r.rec.timeline); n > 0 {
		return r.rec.timeline[n-1]
	}
	return result.TimelinePt{}
}
