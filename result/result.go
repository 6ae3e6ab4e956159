// Package result is the contract between measuring and presenting: a plain,
// versioned, JSON-serialisable record of one rehearsal, documented field by
// field in docs/result.md. CI scripts and dashboards read these names: add
// fields freely, rename or remove one only with a new SchemaVersion. It
// imports no other package of this module.
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
	Seed int64 `json:"seed"`
	// Command is the command line that reproduces this rehearsal, with any
	// password in a DSN redacted; empty when the caller did not record it.
	Command string `json:"command,omitempty"`
	// ToolVersion is the version of rehearse that produced the result
	// ("v0.1.0", or "(devel) 1a2b3c4d5e6f" for a build from a checkout);
	// empty when the caller did not record it.
	ToolVersion string   `json:"tool_version,omitempty"`
	Postgres    Postgres `json:"postgres"`
	// Status is StatusCompleted or StatusAborted; Error says why it aborted.
	Status string `json:"status"`
	Error  string `json:"error"`
	// AbortedIn names the phase the rehearsal was in when it aborted.
	AbortedIn string  `json:"aborted_in,omitempty"`
	Verdict   Verdict `json:"verdict"`
	// Hazards are what hurt (or would hurt) a deploy, each with its fix,
	// most serious first.
	Hazards []Hazard `json:"hazards,omitempty"`
	Data    Data     `json:"data"`
	Phases  []Phase  `json:"phases"`
	Steps   []Step   `json:"steps"`
	// Guard is set when the abort_on guard stopped the migration.
	Guard *GuardAbort `json:"guard,omitempty"`
	// Rollback holds the rollback steps run after a failed step, if any.
	Rollback      []Step          `json:"rollback,omitempty"`
	LockWaits     LockWaits       `json:"lock_waits"`
	Workloads     []Workload      `json:"workloads"`
	Compatibility []Compatibility `json:"compatibility,omitempty"`
	// Background lists the scenario's background sessions, in scenario order.
	Background []BackgroundSession `json:"background,omitempty"`
	// Lint holds the static checks' findings on the migration steps, in
	// step and statement order (see LintFinding).
	Lint []LintFinding `json:"lint,omitempty"`
	// Replication is set when the scenario starts a standby (postgres.replica).
	Replication *Replication `json:"replication,omitempty"`
	// WaitEvents is what the backends waited on, per phase and per second
	// (docs/stalls.md); nil when the monitor did not sample them.
	WaitEvents *WaitEvents `json:"wait_events,omitempty"`
	// ServerCounters are the server's statistics per phase.
	ServerCounters []ServerCounters `json:"server_counters,omitempty"`
	// Harness is the load generator's self-check.
	Harness *Harness `json:"harness,omitempty"`
	// Stalls lists the windows in which traffic stalled, each with its cause,
	// found by StallRule.
	Stalls    []Stall    `json:"stalls,omitempty"`
	StallRule *StallRule `json:"stall_rule,omitempty"`
	// Noise is the baseline's window-to-window p99 spread per workload.
	Noise []Noise `json:"noise,omitempty"`
	// Inferred says what `rehearse DIR` inferred from a migration directory
	// instead of reading it from a scenario file; nil for a scenario file.
	Inferred *Inferred `json:"inferred,omitempty"`
}

// GuardAbort says at which step, and why, the abort_on guard stopped the
// migration (the running statement was cancelled, later steps skipped).
type GuardAbort struct {
	Step   string `json:"step"`
	Reason string `json:"reason"`
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
	// Invalid is set when the run cannot be judged: the harness was starved
	// for too much of the migration, or a check failed only because of
	// harness time. Pass is then false and InvalidReason says why; the
	// command exits 2, not 1.
	Invalid       bool   `json:"invalid,omitempty"`
	InvalidReason string `json:"invalid_reason,omitempty"`
}

// Hazard is something the rehearsal saw hurt (or would hurt) a deploy, with
// the usual fix, so that a reviewer knows what to change, not only that
// something failed.
type Hazard struct {
	// What happened, with the step, statement or query it concerns.
	What string `json:"what"`
	// Fix is the safe way to do it.
	Fix string `json:"fix"`
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
	// CacheKey is the dataset cache entry the data came from (Cached) or
	// was saved to; "" when the cache was not used.
	CacheKey string `json:"cache_key,omitempty"`
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
	Batches int64 `json:"batches,omitempty"`
	Rows    int64 `json:"rows,omitempty"`
	// Locks is the strongest lock per relation over the whole step.
	Locks []StepLock `json:"locks"`
	// Rewrote lists the tables whose relfilenode changed.
	Rewrote []string `json:"rewrote"`
	// Scans lists the full table scans made while holding a lock on that
	// table (SET NOT NULL, ADD CONSTRAINT without NOT VALID, ALTER TYPE, ...).
	Scans []TableScan `json:"scans"`
	// Statements traces each statement of a transactional step; steps run
	// outside a transaction have their locks sampled instead.
	Statements []StatementTrace `json:"statements,omitempty"`
	// LocksSampled is set when Locks come from the lock monitor's samples
	// (statements outside a transaction) rather than the session's own pg_locks.
	LocksSampled bool `json:"locks_sampled,omitempty"`
	// Attempts is how many tries the step (or its worst batch) needed with
	// retry set; LockTimeouts counts the tries that hit lock_timeout.
	Attempts     int `json:"attempts,omitempty"`
	LockTimeouts int `json:"lock_timeouts,omitempty"`
	// ThrottledMS is the time a batch step waited for live traffic to recover.
	ThrottledMS int64 `json:"throttled_ms,omitempty"`
	// ResumeFrom is, for a batch step that stopped, the first key not done:
	// running the step again continues from there.
	ResumeFrom *int64 `json:"resume_from,omitempty"`
	// Output is the end of an external command's output.
	Output string `json:"output,omitempty"`
}

// StepLock is the strongest lock a step held on one relation; HeldMS runs
// from the start of the statement that took it to the end of the step's
// transaction (for sampled locks: between the first and last sample that saw it).
type StepLock struct {
	Relation string  `json:"relation"`
	Mode     string  `json:"mode"`
	HeldMS   float64 `json:"held_ms"`
}

// StatementTrace is what one statement of a transactional step did.
type StatementTrace struct {
	SQL        string  `json:"sql"`
	DurationMS float64 `json:"duration_ms"`
	// Locks are the locks this statement took or strengthened.
	Locks   []StepLock  `json:"locks"`
	Rewrote []string    `json:"rewrote"`
	Scans   []TableScan `json:"scans"`
}

// TableScan is a sequential scan of a table by a migration statement.
type TableScan struct {
	Relation string `json:"relation"`
	Rows     int64  `json:"rows"`
	// Passes is how many sequential scans read those rows: an index build
	// reads the table once more, so Rows can be a multiple of its size.
	Passes int64 `json:"passes,omitempty"`
	// Mode is the lock the statement held on the table at its end.
	Mode string `json:"mode"`
	// BlocksWrites is set when that lock blocks INSERT, UPDATE and DELETE
	// (ShareLock or stronger): writers waited for the whole scan.
	BlocksWrites bool `json:"blocks_writes"`
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

// WaitIntervalsPerAge is how many times the lock monitor samples a lock
// wait at least over its age, once past its first intervals (MonitorStats).
const WaitIntervalsPerAge = 20

// MonitorStats describes the lock monitor's sampling.
type MonitorStats struct {
	// IntervalMS is the interval while a session had waited for a lock
	// for less than WaitIntervalsPerAge intervals; after that, the wait's
	// age over WaitIntervalsPerAge, up to IdleIntervalMS.
	IntervalMS float64 `json:"interval_ms"`
	// IdleIntervalMS is the interval while none did.
	IdleIntervalMS float64 `json:"idle_interval_ms,omitempty"`
	Samples        int64   `json:"samples"`
	MeanSampleMS   float64 `json:"mean_sample_ms"`
	MaxSampleMS    float64 `json:"max_sample_ms"`
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
	BlockedByApp string `json:"blocked_by_app,omitempty"`
	// BlockedByMode is the strongest lock that session held on Relation.
	BlockedByMode string  `json:"blocked_by_mode,omitempty"`
	StartMS       int64   `json:"start_ms"`
	WaitMS        float64 `json:"wait_ms"`
	// Phase is the phase in which the wait began.
	Phase string `json:"phase,omitempty"`
	// Depth is the number of sessions between this one and the head of the
	// chain: 1 when the blocker holds the lock itself, 2 when this query
	// queues behind a waiting statement (say an ALTER TABLE) that waits for the
	// head, and so on.
	Depth int `json:"depth"`
	// Chain lists the sessions from this one to the head, as first seen.
	Chain []ChainLink `json:"chain,omitempty"`
}

// ChainLink is one session of a lock wait chain.
type ChainLink struct {
	Workload string `json:"workload"`
	Query    string `json:"query"`
	// Mode is the lock the session waits for, or for the head the strongest
	// lock it holds on the contended relation.
	Mode    string `json:"mode"`
	Waiting bool   `json:"waiting"`
	// WaitedMS is, for a waiting link, how long it had waited when this
	// event ended.
	WaitedMS float64 `json:"waited_ms,omitempty"`
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
	// Protocol is how the connections sent statements: cached, prepared or
	// simple; Pool is the number of connections requests queued for.
	Protocol string `json:"protocol,omitempty"`
	Pool     int    `json:"pool,omitempty"`
	// PoolWait is the time requests waited for a free connection.
	PoolWait *PoolWait `json:"pool_wait,omitempty"`
	// ConnectionsBySQLState counts, per SQLSTATE, the distinct connections
	// that saw it at least once (a reconnected connection counts anew).
	ConnectionsBySQLState map[string]int64 `json:"connections_by_sqlstate,omitempty"`
	// Warnings say where the generator did not deliver the traffic asked for.
	Warnings []string `json:"warnings,omitempty"`
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
	// ConnectionsBySQLState counts, per SQLSTATE, the distinct connections
	// on which this query failed with it.
	ConnectionsBySQLState map[string]int64 `json:"connections_by_sqlstate,omitempty"`
	// Statements details a transaction entry, statement by statement.
	Statements []TxStatement `json:"statements,omitempty"`
	// Production is what production did, for a query made from a profile's
	// statements (production.go).
	Production *Production `json:"production,omitempty"`
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

// Compatibility records whether one query prepares against the schema as it
// is after a step ("baseline": before the first step).
type Compatibility struct {
	Workload  string `json:"workload"`
	Query     string `json:"query"`
	AfterStep string `json:"after_step"`
	OK        bool   `json:"ok"`
	SQLState  string `json:"sqlstate,omitempty"`
	Error     string `json:"error,omitempty"`
	// Running says the workload was serving traffic at that point: a break
	// then fails the verdict.
	Running bool `json:"running"`
	// CachedOK is what a driver that prepared the statement before the step
	// sees when it executes it after: false with SQLSTATE 0A000 ("cached plan
	// must not change result type") fails once per connection. Nil when the
	// statement did not prepare before the step, or for the baseline check.
	CachedOK       *bool  `json:"cached_ok,omitempty"`
	CachedSQLState string `json:"cached_sqlstate,omitempty"`
	CachedError    string `json:"cached_error,omitempty"`
}

// Inferred is what a zero-config rehearsal (`rehearse DIR`) chose by
// itself, so that a reviewer sees what was simulated.
type Inferred struct {
	// Pending are the migration files rehearsed, one step each, in order.
	Pending []string `json:"pending"`
	// How says why these files are pending (--since, --from, the last file).
	How string `json:"how"`
	// Notes say what was inferred and what was left out, one line each.
	Notes []string `json:"notes,omitempty"`
	// Defaults are the thresholds applied by default, as "name: value".
	Defaults []string `json:"defaults,omitempty"`
	// DefaultChecks names the verdict checks (as Check.Name) whose limit is
	// a default rather than given by a flag, so that reports can say so.
	DefaultChecks []string `json:"default_checks,omitempty"`
	// Queries are the inferred traffic statements.
	Queries []InferredQuery `json:"queries,omitempty"`
}

// InferredQuery is one inferred traffic statement.
type InferredQuery struct {
	Workload string  `json:"workload"`
	Name     string  `json:"name"`
	Weight   float64 `json:"weight"`
	SQL      string  `json:"sql"`
}
