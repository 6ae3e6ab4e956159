package result

// Stall causes (Stall.Cause). An LWLock cause is CauseLWLockPrefix followed by
// the LWLock's wait_event name ("lwlock:BufferContent").
const (
	CauseLock         = "lock"
	CauseIO           = "io"
	CauseCheckpoint   = "checkpoint"
	CauseWAL          = "wal"
	CauseLWLockPrefix = "lwlock:"
	CauseHarness      = "harness"
	CauseUnknown      = "unknown"
)

// WaitCPU is the wait event name of an active backend that waits on nothing
// (pg_stat_activity.wait_event is NULL): it is on CPU, or about to be.
const WaitCPU = "CPU"

// WaitEvents is what the traffic, migration and background backends were
// waiting on, sampled with each lock-monitor sample from pg_stat_activity.
// Only active backends (state active, or idle in transaction for background
// sessions) are counted: an idle connection waits for its client by design.
type WaitEvents struct {
	// ByPhase has one entry per phase and workload with active samples, in
	// phase order, then workload name.
	ByPhase []WaitProfile `json:"by_phase"`
	// Timeline has one entry per second and workload with active samples.
	Timeline []WaitSecond `json:"timeline"`
}

// WaitProfile is the share of one workload's active backend-samples in one
// phase spent in each wait event.
type WaitProfile struct {
	Phase    string `json:"phase"`
	Workload string `json:"workload"`
	// Samples is backend-samples: each active backend of the workload counts
	// once in every sample.
	Samples int64       `json:"samples"`
	Waits   []WaitShare `json:"waits"`
}

// WaitShare is one wait event ("Lock:relation", "IO:DataFileRead",
// "LWLock:WALWrite", "CPU") and its share of the active samples, most
// frequent first.
type WaitShare struct {
	Event   string  `json:"event"`
	Samples int64   `json:"samples"`
	Share   float64 `json:"share"`
}

// WaitSecond is one second (t_s since traffic start) of one workload's wait
// events: the three most frequent.
type WaitSecond struct {
	TS       int64       `json:"t_s"`
	Workload string      `json:"workload"`
	Samples  int64       `json:"samples"`
	Top      []WaitShare `json:"top"`
}

// ServerCounters is what the server's own statistics counted during one
// phase: the difference of the counters at its start and end. Counters the
// server does not have are nil (pg_stat_io from PostgreSQL 16; pg_stat_wal
// from 14; in 17 the checkpoint counters moved to pg_stat_checkpointer and
// buffers written by backends to pg_stat_io).
type ServerCounters struct {
	Phase                string `json:"phase"`
	CheckpointsTimed     *int64 `json:"checkpoints_timed,omitempty"`
	CheckpointsRequested *int64 `json:"checkpoints_requested,omitempty"`
	// BuffersCheckpoint are buffers written by checkpoints; BuffersBackend
	// those written by backends themselves (a sign that shared_buffers or
	// the background writer did not keep up).
	BuffersCheckpoint *int64 `json:"buffers_checkpoint,omitempty"`
	BuffersBackend    *int64 `json:"buffers_backend,omitempty"`
	WALBytes          *int64 `json:"wal_bytes,omitempty"`
	WALSync           *int64 `json:"wal_sync,omitempty"`
	// IOReads, IOWrites and IOFsyncs are pg_stat_io's totals over every
	// backend type and object (16+).
	IOReads   *int64 `json:"io_reads,omitempty"`
	IOWrites  *int64 `json:"io_writes,omitempty"`
	IOFsyncs  *int64 `json:"io_fsyncs,omitempty"`
	TempFiles int64  `json:"temp_files"`
	TempBytes int64  `json:"temp_bytes"`
}

// Harness is the load generator checking itself: whether the client could
// send on time. A starved second is one in which the scheduler sent late (or
// the Go runtime could not run it); its requests are counted apart.
type Harness struct {
	// LagLimitMS is the scheduler lateness that marks a second starved.
	LagLimitMS float64 `json:"lag_limit_ms"`
	// CPUMS and WallMS are the process's CPU time (user + system) and the
	// wall time over the traffic, so CPUMS/WallMS is the cores it used.
	CPUMS  float64 `json:"cpu_ms"`
	WallMS float64 `json:"wall_ms"`
	// GCPauseMS is the total stop-the-world GC pause time; GCPauseMaxMS the
	// longest pause (an upper bound: runtime/metrics histogram buckets).
	GCPauseMS    float64 `json:"gc_pause_ms"`
	GCPauseMaxMS float64 `json:"gc_pause_max_ms"`
	// Seconds has one entry per second of traffic.
	Seconds []HarnessSecond `json:"seconds"`
	// StarvedSeconds counts the starved seconds; StarvedRequests, per
	// workload, the requests scheduled in them.
	StarvedSeconds  int              `json:"starved_seconds"`
	StarvedRequests map[string]int64 `json:"starved_requests,omitempty"`
}

// HarnessSecond is one second (t_s since traffic start) of the harness.
type HarnessSecond struct {
	TS int64 `json:"t_s"`
	// SendLagMaxMS is the scheduler's worst lateness (sent to the queue −
	// due) over every workload; it excludes waiting for a connection.
	SendLagMaxMS float64 `json:"send_lag_max_ms"`
	// SchedLatencyMaxMS is the Go runtime's worst goroutine scheduling
	// latency in the second (runtime/metrics /sched/latencies:seconds, a
	// bucket's upper bound).
	SchedLatencyMaxMS float64 `json:"sched_latency_max_ms"`
	GCPauseMS         float64 `json:"gc_pause_ms"`
	// CPUPct is the process's CPU time in the second, in % of one core.
	CPUPct  float64 `json:"cpu_pct"`
	Starved bool    `json:"starved,omitempty"`
}

// Stall is a window in which a workload's requests took at least the stall
// threshold (completions stopped, or latency exceeded a multiple of the
// baseline p99), with what the samples say it waited on.
type Stall struct {
	StartMS  int64   `json:"start_ms"`
	LengthMS float64 `json:"length_ms"`
	// Phase is the phase the stall began in.
	Phase     string   `json:"phase"`
	Workloads []string `json:"workloads"`
	Queries   []string `json:"queries"`
	// Requests is how many requests were slower than the threshold;
	// MaxLatencyMS the slowest of them.
	Requests     int64   `json:"requests"`
	MaxLatencyMS float64 `json:"max_latency_ms"`
	// Cause is one of the Cause* values; Detail says what in the samples
	// points there ("IO:DataFileRead 62% of traffic samples, checkpoint
	// running"), or, for unknown, what was seen.
	Cause  string `json:"cause"`
	Detail string `json:"detail"`
	// Chain is, for a lock stall, the longest overlapping lock wait's chain.
	Chain []ChainLink `json:"chain,omitempty"`
}

// StallRule is how stalls were found: a request is stalled when its latency
// is at least MinMS and Multiple × its workload's baseline p99.
type StallRule struct {
	MinMS    float64 `json:"min_ms"`
	Multiple float64 `json:"multiple"`
}

// Noise is one workload's baseline split into windows: the p99 of each, and
// the max/min spread that a p99 regression must exceed to count.
type Noise struct {
	Workload string        `json:"workload"`
	Windows  []NoiseWindow `json:"windows"`
	// Spread is the largest window p99 over the smallest (1 when fewer than
	// two windows had enough requests).
	Spread float64 `json:"spread"`
}

// NoiseWindow is one window of the baseline, by scheduled time.
type NoiseWindow struct {
	StartS int64   `json:"start_s"`
	Count  int64   `json:"count"`
	P99MS  float64 `json:"p99_ms"`
}
