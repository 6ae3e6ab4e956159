// Package result is the contract between measuring and presenting: a plain,
// versioned, JSON-serialisable record of one rehearsal. Field names follow
// DESIGN.md; add fields freely, rename or remove only with a new SchemaVersion.
package result

import "time"

// SchemaVersion is the version of the JSON contract written by this code.
const SchemaVersion = 1

// Status values of a Result.
const (
	StatusCompleted = "completed"
	StatusAborted   = "aborted"
)

// Result is everything one rehearsal measured. Times in *_ms fields are
// milliseconds; start_ms, end_ms and t_s are relative to TrafficStartedAt,
// the start of the baseline phase.
type Result struct {
	SchemaVersion int       `json:"schema_version"`
	Scenario      string    `json:"scenario"`
	StartedAt     time.Time `json:"started_at"`
	DurationMS    int64     `json:"duration_ms"`
	// TrafficStartedAt is when traffic began; zero if it never did.
	TrafficStartedAt time.Time `json:"traffic_started_at"`
	// Seed is the data and traffic seed used, so a run can be reproduced.
	Seed     int64    `json:"seed"`
	Postgres Postgres `json:"postgres"`
	// Status is StatusCompleted or StatusAborted; Error says why it aborted.
	Status string `json:"status"`
	Error  string `json:"error"`
	// AbortedIn names the phase the rehearsal was in when it aborted.
	AbortedIn     string          `json:"aborted_in,omitempty"`
	Verdict       Verdict         `json:"verdict"`
	Data          Data            `json:"data"`
	Phases        []Phase         `json:"phases"`
	Steps         []Step          `json:"steps"`
	LockWaits     LockWaits       `json:"lock_waits"`
	Workloads     []Workload      `json:"workloads"`
	Compatibility []Compatibility `json:"compatibility,omitempty"`
}

// Postgres describes the server the rehearsal ran on.
type Postgres struct {
	Provider string            `json:"provider"`
	Version  string            `json:"version"`
	Settings map[string]string `json:"settings"`
	// StartMS is how long the provider took to have the server ready.
	StartMS int64 `json:"start_ms"`
}

// Verdict is PASS/FAIL with the checks behind it.
type Verdict struct {
	Pass    bool     `json:"pass"`
	Reasons []string `json:"reasons"`
	Checks  []Check  `json:"checks"`
}

// Check is one threshold compared with what was observed.
type Check struct {
	Name     string `json:"name"`
	Limit    string `json:"limit"`
	Observed string `json:"observed"`
	Pass     bool   `json:"pass"`
}

// Data describes the loaded data set.
type Data struct {
	Tables []TableLoad `json:"tables"`
	Cached bool        `json:"cached"`
	LoadMS int64       `json:"load_ms"`
}

// TableLoad is one loaded table.
type TableLoad struct {
	Name   string `json:"name"`
	Rows   int64  `json:"rows"`
	Bytes  int64  `json:"bytes"`
	LoadMS int64  `json:"load_ms"`
}

// Phase is a named window of the rehearsal: baseline, one per step, cooldown.
type Phase struct {
	Name    string `json:"name"`
	StartMS int64  `json:"start_ms"`
	EndMS   int64  `json:"end_ms"`
}

// Step is one executed migration step.
type Step struct {
	Name       string `json:"name"`
	DurationMS int64  `json:"duration_ms"`
	Error      string `json:"error"`
	SQLState   string `json:"sqlstate"`
	// Statement is the statement that failed, when one did.
	Statement string `json:"statement,omitempty"`
	// Position is the 1-based character position of the error in Statement.
	Position int `json:"position,omitempty"`
	// Line and Column locate the error in the scenario file.
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`
	// Batches is the number of batches a batch step ran.
	Batches int64      `json:"batches,omitempty"`
	Rows    int64      `json:"rows,omitempty"`
	Locks   []StepLock `json:"locks"`
	Rewrote []string   `json:"rewrote"`
}

// StepLock is the strongest lock a step held on one relation.
type StepLock struct {
	Relation string  `json:"relation"`
	Mode     string  `json:"mode"`
	HeldMS   float64 `json:"held_ms"`
}

// LockWaits summarises lock waits. Count, TotalMS and MaxMS cover traffic
// queries (workloads old and new); Events also holds the migration's own waits.
type LockWaits struct {
	Count   int         `json:"count"`
	TotalMS float64     `json:"total_ms"`
	MaxMS   float64     `json:"max_ms"`
	Events  []LockEvent `json:"events"`
	// EventsOmitted counts events left out of Events to bound its size.
	EventsOmitted int `json:"events_omitted,omitempty"`
	// Monitor describes the sampler itself, so its precision and cost are known.
	Monitor *MonitorStats `json:"monitor,omitempty"`
}

// MonitorStats describes the lock monitor's sampling.
type MonitorStats struct {
	IntervalMS   float64 `json:"interval_ms"`
	Samples      int64   `json:"samples"`
	MeanSampleMS float64 `json:"mean_sample_ms"`
	MaxSampleMS  float64 `json:"max_sample_ms"`
}

// LockEvent is one backend waiting for one lock.
type LockEvent struct {
	// Workload is "old", "new" or "migration" (the migration's own waits).
	Workload string `json:"workload"`
	// Query is the workload query's name, or the statement text for the migration.
	Query    string `json:"query"`
	Relation string `json:"relation"`
	Mode     string `json:"mode"`
	// BlockedBy is the statement at the head of the wait chain.
	BlockedBy string `json:"blocked_by"`
	// BlockedByApp is the application_name of that statement's session.
	BlockedByApp string  `json:"blocked_by_app,omitempty"`
	StartMS      int64   `json:"start_ms"`
	WaitMS       float64 `json:"wait_ms"`
	// Phase is the phase in which the wait began.
	Phase string `json:"phase,omitempty"`
}

// Workload is what one simulated application version did.
type Workload struct {
	Name         string  `json:"name"`
	TargetRate   float64 `json:"target_rate"`
	AchievedRate float64 `json:"achieved_rate"`
	// Dropped counts scheduled requests that could not even be queued because
	// the queue of waiting requests was full: the generator fell behind.
	Dropped int64 `json:"dropped"`
	// Unsent counts requests still queued when traffic stopped, and Cancelled
	// those in flight then; neither is an error.
	Unsent    int64                 `json:"unsent"`
	Cancelled int64                 `json:"cancelled"`
	Queries   []Query               `json:"queries"`
	Timeline  []TimelinePt          `json:"timeline"`
	ByPhase   map[string]PhaseStats `json:"by_phase"`
	// Migration merges every step phase: the workload while the migration ran.
	Migration PhaseStats `json:"migration"`
}

// Query is the latency and error record of one named query. Count includes
// failed executions, so Errors/Count is the error rate; latencies are of
// successful executions, measured from the scheduled send time.
type Query struct {
	Name             string                `json:"name"`
	Count            int64                 `json:"count"`
	Errors           int64                 `json:"errors"`
	ErrorsBySQLState map[string]int64      `json:"errors_by_sqlstate"`
	FirstError       string                `json:"first_error,omitempty"`
	P50MS            float64               `json:"p50_ms"`
	P95MS            float64               `json:"p95_ms"`
	P99MS            float64               `json:"p99_ms"`
	P999MS           float64               `json:"p999_ms"`
	MaxMS            float64               `json:"max_ms"`
	ByPhase          map[string]PhaseStats `json:"by_phase"`
}

// PhaseStats is a latency summary of one phase; Count includes Errors.
type PhaseStats struct {
	Count  int64   `json:"count"`
	Errors int64   `json:"errors"`
	P50MS  float64 `json:"p50_ms"`
	P95MS  float64 `json:"p95_ms"`
	P99MS  float64 `json:"p99_ms"`
	MaxMS  float64 `json:"max_ms"`
}

// TimelinePt is one second of a workload, by completion time.
type TimelinePt struct {
	TS     int64   `json:"t_s"`
	Count  int64   `json:"count"`
	Errors int64   `json:"errors"`
	P50MS  float64 `json:"p50_ms"`
	P99MS  float64 `json:"p99_ms"`
	MaxMS  float64 `json:"max_ms"`
}

// Compatibility records whether one query prepares against the schema after a step.
type Compatibility struct {
	Workload  string `json:"workload"`
	Query     string `json:"query"`
	AfterStep string `json:"after_step"`
	OK        bool   `json:"ok"`
	SQLState  string `json:"sqlstate,omitempty"`
	Error     string `json:"error,omitempty"`
}
