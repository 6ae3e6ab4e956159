package stalls

import (
	"testing"
	"time"

	"github.com/rehearse/rehearse/internal/lockmon"
	"github.com/rehearse/rehearse/loadgen"
	"github.com/rehearse/rehearse/result"
)

var epoch = time.Unix(1_000_000, 0)

func msD(v int) time.Duration { return time.Duration(v) * time.Millisecond }

// samples builds a wait timeline: every 10 ms from fromMS to toMS, n
// backends of workload in event, the checkpointer busy when checkpoint.
func samples(fromMS, toMS int, workload, event string, n uint16, checkpoint bool) *lockmon.WaitSamples {
	ws := &lockmon.WaitSamples{Names: []string{workload, event}}
	for t := fromMS; t <= toMS; t += 10 {
		ws.Samples = append(ws.Samples, lockmon.WaitSample{At: epoch.Add(msD(t)), Checkpoint: checkpoint,
			Counts: []lockmon.WaitCount{{Workload: 0, Event: 1, N: n}}})
	}
	return ws
}

func slow(fromMS, toMS int, queries ...string) []loadgen.SlowWindow {
	return []loadgen.SlowWindow{{Start: msD(fromMS), End: msD(toMS), Requests: 10, MaxLatency: msD(toMS - fromMS), Queries: queries, Phase: "backfill"}}
}

func TestDetectAttributesCauses(t *testing.T) {
	lock := result.LockEvent{Workload: "old", Query: "get", Relation: "users", Mode: "RowExclusiveLock", StartMS: 1000, WaitMS: 600,
		BlockedBy: "ALTER TABLE users ...", Chain: []result.ChainLink{{Workload: "old", Query: "get", Waiting: true}, {Workload: "migration", Query: "ALTER TABLE users ..."}}}
	tests := []struct {
		name    string
		samples *lockmon.WaitSamples
		sched   []loadgen.SchedSecond
		locks   []result.LockEvent
		cause   string
	}{
		{"lock", samples(1000, 1600, "old", "Lock:relation", 4, false), nil, []result.LockEvent{lock}, result.CauseLock},
		{"checkpoint", samples(1000, 1600, "old", "IO:DataFileRead", 3, true), nil, nil, result.CauseCheckpoint},
		{"io", samples(1000, 1600, "old", "IO:DataFileRead", 3, false), nil, nil, result.CauseIO},
		{"wal lwlock", samples(1000, 1600, "old", "LWLock:WALWrite", 3, false), nil, nil, result.CauseWAL},
		{"wal during a checkpoint", samples(1000, 1600, "old", "LWLock:WALWrite", 3, true), nil, nil, result.CauseCheckpoint},
		{"lock during a checkpoint", samples(1000, 1600, "old", "Lock:relation", 3, true), nil, nil, result.CauseLock},
		{"wal sync", samples(1000, 1600, "old", "IO:WALSync", 3, false), nil, nil, result.CauseWAL},
		{"lwlock", samples(1000, 1600, "old", "LWLock:BufferMapping", 3, false), nil, nil, "lwlock:BufferMapping"},
		{"cpu only", samples(1000, 1600, "old", "CPU", 3, false), nil, nil, result.CauseUnknown},
		{"no samples", nil, nil, nil, result.CauseUnknown},
		{"other workload's waits", samples(1000, 1600, "new", "Lock:relation", 3, false), nil, nil, result.CauseUnknown},
		{"harness", samples(1000, 1600, "old", "Client:ClientRead", 3, false),
			[]loadgen.SchedSecond{{TS: 1, Scheduled: 100, MaxLate: msD(480)}}, nil, result.CauseHarness},
		{"harness lateness too small for the stall", samples(1000, 1600, "old", "Lock:relation", 3, false),
			[]loadgen.SchedSecond{{TS: 1, Scheduled: 100, MaxLate: msD(60)}}, nil, result.CauseLock},
		// Samples in the window saw only another workload: the server did
		// not work on these requests, and the client was starved.
		{"server idle for them, client late", samples(1000, 1600, "new", "CPU", 1, false),
			[]loadgen.SchedSecond{{TS: 1, Scheduled: 100, MaxLate: msD(60)}}, nil, result.CauseHarness},
		{"server idle for them, client on time", samples(1000, 1600, "new", "CPU", 1, false),
			[]loadgen.SchedSecond{{TS: 1, Scheduled: 100, MaxLate: msD(10)}}, nil, result.CauseUnknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Detect(Input{Epoch: epoch, Rule: Rule(), Samples: tc.samples, Locks: tc.locks,
				Workloads: []Workload{{Name: "old", BaselineP99MS: 2, Slow: slow(1000, 1600, "get"), Sched: tc.sched}}})
			if len(got) != 1 {
				t.Fatalf("stalls %+v, want one", got)
			}
			s := got[0]
			if s.Cause != tc.cause || s.Detail == "" {
				t.Errorf("cause %q (%s), want %q", s.Cause, s.Detail, tc.cause)
			}
			if s.StartMS != 1000 || s.LengthMS != 600 || s.Queries[0] != "old.get" || s.Phase != "backfill" {
				t.Errorf("stall %+v", s)
			}
			if tc.cause == result.CauseLock && tc.locks != nil && len(s.Chain) != 2 {
				t.Errorf("lock stall without the chain: %+v", s)
			}
		})
	}
}

func TestDetectThresholdAndMerge(t *testing.T) {
	in := Input{Epoch: epoch, Rule: Rule(), Workloads: []Workload{
		// 150 ms slow, but baseline p99 40 ms × 5 = 200 ms: not a stall.
		{Name: "old", BaselineP99MS: 40, Slow: slow(0, 150, "a")},
		// 2 ms × 5 < 100 ms: these are; they overlap and merge.
		{Name: "new", BaselineP99MS: 2, Slow: append(slow(5000, 5300, "b"), slow(8000, 8050, "c")...)},
		{Name: "old2", BaselineP99MS: 2, Slow: slow(5200, 5500, "d")},
	}}
	got := Detect(in)
	if len(got) != 1 {
		t.Fatalf("stalls %+v, want one (merged; the 50 ms and the sub-threshold one dropped)", got)
	}
	if got[0].StartMS != 5000 || got[0].LengthMS != 500 || len(got[0].Workloads) != 2 || got[0].Requests != 20 {
		t.Errorf("merged stall %+v", got[0])
	}
}

func TestHarnessMarksStarvedSeconds(t *testing.T) {
	h := Harness(Input{LagLimit: DefaultLagLimit, Workloads: []Workload{
		{Name: "old", Sched: []loadgen.SchedSecond{{TS: 0, Scheduled: 100, MaxLate: msD(1)}, {TS: 1, Scheduled: 100, MaxLate: msD(500)}}},
		{Name: "new", Sched: []loadgen.SchedSecond{{TS: 1, Scheduled: 50, MaxLate: msD(490)}, {TS: 2, Scheduled: 50}}},
	}, Harness: loadgen.HarnessSummary{Seconds: []loadgen.HarnessSecond{{TS: 2, SchedLatencyMax: msD(80), CPU: msD(250)}}}})
	if h.StarvedSeconds != 2 || h.StarvedRequests["old"] != 100 || h.StarvedRequests["new"] != 100 {
		t.Errorf("harness %+v", h)
	}
	if len(h.Seconds) != 3 || h.Seconds[1].SendLagMaxMS != 500 || h.Seconds[2].CPUPct != 25 || h.Seconds[0].Starved {
		t.Errorf("seconds %+v", h.Seconds)
	}
}
