//go:build linux

package loadgen

import (
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// TestStoppedProcessShowsAsSchedulerLateness pauses the test process with
// SIGSTOP for 500 ms (a child process sends STOP, sleeps, sends CONT) while a
// workload runs: the requests due during the pause are sent late, and the
// scheduler's lateness and the slow windows must both show it.
func TestStoppedProcessShowsAsSchedulerLateness(t *testing.T) {
	dsn := newTable(t)
	epoch := time.Now()
	h := StartHarness(epoch)
	r := start(t, dsn, Workload{Name: "old", AppName: "rehearse/old", Rate: 200, Connections: 2, Queries: []Query{
		{Name: "point", SQL: "SELECT v FROM t WHERE id = $1", Args: []ArgFunc{idArg}, Weight: 1},
	}}, WithEpoch(epoch))
	eventually(t, "traffic", func() bool { return r.Stats().Completed >= 50 })
	const pause = 500 * time.Millisecond
	cmd := exec.Command("sh", "-c", "kill -STOP $PPID; sleep "+strconv.FormatFloat(pause.Seconds(), 'f', 3, 64)+"; kill -CONT $PPID")
	if err := cmd.Run(); err != nil {
		t.Fatalf("pause the process: %v", err)
	}
	before := r.Stats().Completed
	eventually(t, "traffic after the pause", func() bool { return r.Stats().Completed >= before+50 })
	stop(t, r, 10*time.Second)
	sum := h.Stop()

	var late time.Duration
	for _, s := range r.SchedulerSeconds() {
		late = max(late, s.MaxLate)
	}
	// A request due just after STOP is queued only after CONT: at least the
	// pause minus one request interval (5 ms) late; 100 ms of margin for
	// the delivery of the signals.
	if late < pause-100*time.Millisecond {
		t.Errorf("scheduler at most %v late across a %v pause", late, pause)
	}
	var longest time.Duration
	for _, w := range r.SlowWindows() {
		longest = max(longest, w.End-w.Start)
	}
	if longest < pause-100*time.Millisecond {
		t.Errorf("longest slow window %v across a %v pause: %+v", longest, pause, r.SlowWindows())
	}
	if sum.Wall < pause || sum.CPU <= 0 || len(sum.Seconds) == 0 {
		t.Errorf("harness summary %+v", sum)
	}
}

func TestSlowWindowsMergeOverlappingRequests(t *testing.T) {
	epoch := time.Unix(1000, 0)
	s := newSelfCheck(epoch, 100*time.Millisecond)
	at := func(ms int) time.Time { return epoch.Add(time.Duration(ms) * time.Millisecond) }
	s.completed("a", "step", at(0), at(300), true)    // slow: 0–300
	s.completed("b", "step", at(250), at(400), false) // slow, failed, overlaps: 0–400
	s.completed("a", "step", at(500), at(520), true)  // fast: not kept
	s.completed("c", "step", at(900), at(1100), true) // slow, apart: 900–1100
	s.completed("a", "step", at(100), at(450), true)  // out of order, joins the first
	r := &Run{self: s}
	got := r.SlowWindows()
	if len(got) != 2 {
		t.Fatalf("windows %+v, want 2", got)
	}
	if got[0].Start != 0 || got[0].End != 450*time.Millisecond || got[0].Requests != 3 || len(got[0].Queries) != 2 {
		t.Errorf("first window %+v", got[0])
	}
	if got[1].Start != 900*time.Millisecond || got[1].MaxLatency != 200*time.Millisecond || got[1].Queries[0] != "c" {
		t.Errorf("second window %+v", got[1])
	}
}
