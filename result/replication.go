package result

// Replication is what a streaming standby went through during the
// rehearsal, sampled on the primary from pg_stat_replication. Lag in bytes is
// pg_current_wal_lsn() − replay_lsn. Replay lag is the larger of
// pg_stat_replication's replay_lag and the time since the oldest WAL the
// standby has not replayed was written (estimated from the samples):
// PostgreSQL measures replay_lag only when replay reaches a position, so it
// stands still while replay is stalled, and shows NULL (0 here) once the
// standby has caught up and WAL is quiet. Both are as fresh as the standby's
// last status reply to the primary. With several standbys, each sample takes
// the one furthest behind.
type Replication struct {
	// IntervalMS is the sampling interval; Samples the samples taken.
	IntervalMS float64 `json:"interval_ms"`
	Samples    int64   `json:"samples"`
	// Standbys is the largest number of streaming standbys seen at once.
	Standbys int `json:"standbys"`
	// MaxLagBytes and MaxReplayLagMS are the largest values sampled from the
	// start of the baseline to the end of the cooldown; MaxReplayLagPhase is
	// the phase in which MaxReplayLagMS was seen.
	MaxLagBytes       int64   `json:"max_lag_bytes"`
	MaxReplayLagMS    float64 `json:"max_replay_lag_ms"`
	MaxReplayLagPhase string  `json:"max_replay_lag_phase,omitempty"`
	// WALBytes is the WAL the primary wrote from the start of the baseline to
	// the end of the cooldown; WALBytesByPhase splits it by phase (baseline,
	// each step, cooldown). Traffic's writes are included: it is what the
	// standby had to replay, not the migration's share alone.
	WALBytes        int64            `json:"wal_bytes"`
	WALBytesByPhase map[string]int64 `json:"wal_bytes_by_phase"`
	// Timeline has one point per second, like a workload's timeline: the
	// largest lag sampled in that second and the WAL written in it.
	Timeline []LagPoint `json:"timeline"`
	// Error says why sampling stopped early (the sampler lost its connection);
	// the figures cover the samples taken until then.
	Error string `json:"error,omitempty"`
}

// LagPoint is one second of replication: TS is seconds since the start of
// the baseline (as TimelinePt.TS), the other figures the largest sampled in
// that second, and WALBytes the WAL written during it.
type LagPoint struct {
	TS          int64   `json:"t_s"`
	LagBytes    int64   `json:"lag_bytes"`
	ReplayLagMS float64 `json:"replay_lag_ms"`
	WALBytes    int64   `json:"wal_bytes"`
}
