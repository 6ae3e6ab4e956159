package lockmon

import (
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/result"
)

// activitySQL returns what every rehearsal session other than the monitor
// is doing, and the server's checkpointer, background writer and WAL writer:
// the wait-event half of a sample, sent in the same round trip as the lock
// query. Idle client sessions are left out: they wait for their client by
// design (a background session idle in a transaction is kept: it holds locks).
//
// Any other session of the database waiting for a lock is returned too (as
// app "", not aggregated): it tells the monitor that pg_locks must be read.
// The query text is not read: the workload is in the application_name.
const activitySQL = `
SELECT pid, CASE WHEN application_name LIKE 'rehearse/%' OR datname IS NULL THEN application_name ELSE '' END,
       coalesce(state, ''), backend_type, coalesce(wait_event_type, ''), coalesce(wait_event, '')
FROM pg_stat_activity
WHERE pid <> pg_backend_pid()
  AND ((datname = current_database() AND ((application_name LIKE 'rehearse/%' AND application_name <> $1
                                           AND state IN ('active', 'idle in transaction', 'idle in transaction (aborted)'))
                                          OR wait_event_type = 'Lock'))
       OR backend_type IN ('checkpointer', 'background writer', 'walwriter'))`

// Workloads of the server's own processes in wait samples.
const (
	ServerCheckpointer = "server:checkpointer"
	ServerBgWriter     = "server:bgwriter"
	ServerWALWriter    = "server:walwriter"
)

type activityRow struct {
	pid                                     int32
	app, state, backendType, waitType, wait string
}

// lockState says whether a session waits for a lock, and which backends of
// the migration run (are not idle): a wait calls for reading pg_locks in
// full (its chain), a running migration for reading its granted locks.
func lockState(rows []activityRow, migrationApp string) (lockWait bool, migration []int32) {
	for _, r := range rows {
		lockWait = lockWait || r.waitType == "Lock"
		if r.app == migrationApp && r.state != "" && r.state != "idle" {
			migration = append(migration, r.pid)
		}
	}
	return lockWait, migration
}

// WaitSample is what one sample saw, compactly: how many active backends of
// each workload were in each wait event, and whether a checkpoint was
// running. Events and workloads are indexes into WaitSamples.Names.
type WaitSample struct {
	// At is the sample's time.
	At         time.Time
	Checkpoint bool
	Counts     []WaitCount
}

// WaitCount is how many backends of one workload were in one wait event.
type WaitCount struct {
	Workload, Event uint16
	N               uint16
}

// WaitSamples is the wait-event timeline at the monitor's sampling
// resolution, for attributing stalls.
type WaitSamples struct {
	Names   []string
	Samples []WaitSample
}

// Name is the string an index of Names stands for.
func (w *WaitSamples) Name(i uint16) string { return w.Names[i] }

// maxWaitSamples bounds the kept timeline: 6 hours at the default interval.
const maxWaitSamples = 6 * 3600 * 100

// waitAgg aggregates wait samples by phase and workload, and by second.
type waitAgg struct {
	index    map[string]uint16
	samples  WaitSamples
	byPhase  map[[2]string]map[string]int64 // (phase, workload) → event → backend-samples
	phases   []string                       // in order first seen
	bySecond map[int64]map[string]map[string]int64
}

func newWaitAgg() *waitAgg {
	return &waitAgg{index: map[string]uint16{}, byPhase: map[[2]string]map[string]int64{},
		bySecond: map[int64]map[string]map[string]int64{}}
}

func (a *waitAgg) intern(s string) uint16 {
	if i, ok := a.index[s]; ok {
		return i
	}
	if len(a.samples.Names) >= 1<<16-1 {
		return a.intern("other")
	}
	i := uint16(len(a.samples.Names))
	a.index[s] = i
	a.samples.Names = append(a.samples.Names, s)
	return i
}

// EventName is a backend's wait event as the reports show it: type:event,
// or CPU when it waits on nothing.
func EventName(waitType, wait string) string {
	if waitType == "" {
		return result.WaitCPU
	}
	return waitType + ":" + wait
}

func serverWorkload(backendType string) string {
	switch backendType {
	case "checkpointer":
		return ServerCheckpointer
	case "background writer":
		return ServerBgWriter
	case "walwriter":
		return ServerWALWriter
	}
	return "server:" + backendType
}

// add records one sample's activity rows.
func (a *waitAgg) add(rows []activityRow, phase string, classify Classifier, at, epoch time.Time) {
	s := WaitSample{At: at}
	counts := map[[2]uint16]uint16{}
	sec := int64(at.Sub(epoch) / time.Second)
	for _, r := range rows {
		var workload string
		if r.backendType != "client backend" {
			workload = serverWorkload(r.backendType)
			// Idle, these processes wait in their main loop (Activity);
			// anything else is work.
			if r.waitType == "Activity" {
				continue
			}
			// A spread checkpoint sleeps between writes (Timeout:
			// CheckpointWriteDelay) for most of checkpoint_timeout: only
			// its writes and syncs can slow anyone down.
			if r.backendType == "checkpointer" && r.waitType != "Timeout" {
				s.Checkpoint = true
			}
		} else {
			if r.app == "" { // another application's session: only a hint
				continue
			}
			workload, _ = classify(r.app, "")
		}
		event := EventName(r.waitType, r.wait)
		if r.state != "active" && r.state != "" {
			event = "Idle in transaction"
		}
		counts[[2]uint16{a.intern(workload), a.intern(event)}]++
		a.count(phase, workload, event, sec)
	}
	for k, n := range counts {
		s.Counts = append(s.Counts, WaitCount{Workload: k[0], Event: k[1], N: n})
	}
	if len(a.samples.Samples) < maxWaitSamples {
		a.samples.Samples = append(a.samples.Samples, s)
	}
}

func (a *waitAgg) count(phase, workload, event string, sec int64) {
	key := [2]string{phase, workload}
	m := a.byPhase[key]
	if m == nil {
		m = map[string]int64{}
		a.byPhase[key] = m
		if !containsString(a.phases, phase) {
			a.phases = append(a.phases, phase)
		}
	}
	m[event]++
	bs := a.bySecond[sec]
	if bs == nil {
		bs = map[string]map[string]int64{}
		a.bySecond[sec] = bs
	}
	if bs[workload] == nil {
		bs[workload] = map[string]int64{}
	}
	bs[workload][event]++
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// report is the per-phase profiles and the per-second timeline.
func (a *waitAgg) report() *result.WaitEvents {
	out := &result.WaitEvents{ByPhase: []result.WaitProfile{}, Timeline: []result.WaitSecond{}}
	for _, phase := range a.phases {
		var workloads []string
		for key := range a.byPhase {
			if key[0] == phase {
				workloads = append(workloads, key[1])
			}
		}
		sort.Strings(workloads)
		for _, w := range workloads {
			shares, total := Shares(a.byPhase[[2]string{phase, w}], 0)
			out.ByPhase = append(out.ByPhase, result.WaitProfile{Phase: phase, Workload: w, Samples: total, Waits: shares})
		}
	}
	secs := make([]int64, 0, len(a.bySecond))
	for s := range a.bySecond {
		secs = append(secs, s)
	}
	sort.Slice(secs, func(i, j int) bool { return secs[i] < secs[j] })
	for _, s := range secs {
		var workloads []string
		for w := range a.bySecond[s] {
			workloads = append(workloads, w)
		}
		sort.Strings(workloads)
		for _, w := range workloads {
			top, total := Shares(a.bySecond[s][w], 3)
			out.Timeline = append(out.Timeline, result.WaitSecond{TS: s, Workload: w, Samples: total, Top: top})
		}
	}
	return out
}

// Shares turns counts by event into shares, most frequent first (ties by
// name), keeping the first n (all when n is 0); total is over all events.
func Shares(counts map[string]int64, n int) (shares []result.WaitShare, total int64) {
	for _, c := range counts {
		total += c
	}
	shares = make([]result.WaitShare, 0, len(counts))
	for e, c := range counts {
		shares = append(shares, result.WaitShare{Event: e, Samples: c, Share: float64(c) / float64(max(total, 1))})
	}
	sort.Slice(shares, func(i, j int) bool {
		if shares[i].Samples != shares[j].Samples {
			return shares[i].Samples > shares[j].Samples
		}
		return shares[i].Event < shares[j].Event
	})
	if n > 0 && len(shares) > n {
		shares = shares[:n]
	}
	return shares, total
}

func scanActivity(rows pgx.Rows) ([]activityRow, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (activityRow, error) {
		var a activityRow
		err := r.Scan(&a.pid, &a.app, &a.state, &a.backendType, &a.waitType, &a.wait)
		return a, err
	})
}
