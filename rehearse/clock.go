package rehearse

import (
	"sync"
	"time"

	"github.com/rehearse/rehearse/result"
)

// clock tracks the current phase of a rehearsal. Phase is read concurrently
// by the traffic generators and the lock monitor.
type clock struct {
	mu     sync.Mutex
	epoch  time.Time // start of traffic; zero before
	stage  string    // setup stage or phase name, for reporting where an abort happened
	phases []result.Phase
}

// startTraffic fixes the epoch that phase and timeline times are relative to.
func (c *clock) startTraffic(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch = now
}

// setStage names a setup stage (provision, schema, data) that is not a phase.
func (c *clock) setStage(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stage = name
}

// enter ends the current phase and begins the named one.
func (c *clock) enter(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.sinceEpoch()
	if n := len(c.phases); n > 0 && c.phases[n-1].EndMS == 0 {
		c.phases[n-1].EndMS = now
	}
	c.phases = append(c.phases, result.Phase{Name: name, StartMS: now})
	c.stage = name
}

// finish ends the current phase.
func (c *clock) finish() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := len(c.phases); n > 0 && c.phases[n-1].EndMS == 0 {
		c.phases[n-1].EndMS = c.sinceEpoch()
	}
}

// Phase returns the current phase name ("" before traffic).
func (c *clock) Phase() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := len(c.phases); n > 0 {
		return c.phases[n-1].Name
	}
	return ""
}

// Stage returns the current stage or phase name.
func (c *clock) Stage() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stage
}

func (c *clock) snapshot() []result.Phase {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]result.Phase{}, c.phases...)
}

func (c *clock) sinceEpoch() int64 { return time.Since(c.epoch).Milliseconds() }
