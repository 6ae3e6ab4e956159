package result

// PoolWait summarises how long a workload's requests waited for a free
// connection of its pool, from their scheduled time to the moment a
// connection took them, in milliseconds. It covers every executed request,
// failed ones included, and is part of their latency (open model).
type PoolWait struct {
	Count  int64   `json:"count"`
	P50MS  float64 `json:"p50_ms"`
	P95MS  float64 `json:"p95_ms"`
	P99MS  float64 `json:"p99_ms"`
	P999MS float64 `json:"p999_ms"`
	MaxMS  float64 `json:"max_ms"`
	// ByPhase is keyed by the phase a request was scheduled in; Errors is
	// always 0 there.
	ByPhase map[string]PhaseStats `json:"by_phase"`
}

// TxStatement is one statement of a transaction entry of a workload. Its
// latency is its own execution time (send → result) of successful
// executions; the transaction's latency, from its scheduled time, is the
// enclosing Query's. A statement that never ran because an earlier one
// failed is not counted.
type TxStatement struct {
	Name             string           `json:"name"`
	Count            int64            `json:"count"`
	Errors           int64            `json:"errors"`
	ErrorsBySQLState map[string]int64 `json:"errors_by_sqlstate"`
	P50MS            float64          `json:"p50_ms"`
	P95MS            float64          `json:"p95_ms"`
	P99MS            float64          `json:"p99_ms"`
	MaxMS            float64          `json:"max_ms"`
}

// BackgroundSession is what one `background:` entry of the scenario did: a
// long query, an idle-in-transaction session or an open snapshot, run on its
// own connection (application_name App).
type BackgroundSession struct {
	Name string `json:"name"`
	App  string `json:"app"`
	SQL  string `json:"sql"`
	// Trigger is when the session started: "start_at baseline",
	// "start_after expand", ...
	Trigger string `json:"trigger"`
	// Error is set when the session could not run at all (no connection).
	Error string          `json:"error,omitempty"`
	Runs  []BackgroundRun `json:"runs"`
	// RunsOmitted counts runs left out of Runs to bound its size (the
	// oldest are kept).
	RunsOmitted int `json:"runs_omitted,omitempty"`
}

// BackgroundRun is one execution of a background session's statement, and
// the transaction held open after it. Times are relative to
// traffic_started_at.
type BackgroundRun struct {
	// Phase is the phase the run started in.
	Phase string `json:"phase,omitempty"`
	// StartMS is when the statement (or its BEGIN) was sent.
	StartMS int64 `json:"start_ms"`
	// QueryMS is how long the statement ran.
	QueryMS float64 `json:"query_ms"`
	// HeldMS is how long the transaction then stayed open, idle (hold).
	HeldMS float64 `json:"held_ms,omitempty"`
	// EndMS is when the run ended: COMMIT done, or the failure.
	EndMS    int64  `json:"end_ms"`
	Error    string `json:"error,omitempty"`
	SQLState string `json:"sqlstate,omitempty"`
	// Cancelled is set when the end of the rehearsal cut the run short; it is
	// not an error.
	Cancelled bool `json:"cancelled,omitempty"`
}
