package result

// Production sets a query made from a production profile
// (traffic.<workload>.from_profile) beside what production did, so that a
// reader sees how far to trust the rehearsal.
type Production struct {
	// CallsPerS, MeanMS and StddevMS are what pg_stat_statements measured in
	// production (execution time on the server, without the round trip).
	CallsPerS float64 `json:"calls_per_s"`
	MeanMS    float64 `json:"mean_ms"`
	StddevMS  float64 `json:"stddev_ms"`
	// TargetCallsPerS is CallsPerS times the scenario's scale: what the
	// rehearsal asked for; BaselineCallsPerS is what it achieved in the
	// baseline phase.
	TargetCallsPerS   float64 `json:"target_calls_per_s"`
	BaselineCallsPerS float64 `json:"baseline_calls_per_s"`
	// ServerMeanMS is the statement's mean execution time on the
	// rehearsal's server in the baseline, from its own pg_stat_statements
	// (when postgres.settings preloads it); 0 otherwise.
	ServerMeanMS float64 `json:"server_mean_ms,omitempty"`
	// LatencyRatio is the rehearsal's time over production's mean time: 10
	// is ten times slower than production. The rehearsal's time is
	// ServerMeanMS when there is one (Basis "server": like for like), else
	// the baseline's p50 latency (Basis "client": round trip and commit
	// included, which production's figure leaves out). 0 without a baseline.
	LatencyRatio float64 `json:"latency_ratio"`
	Basis        string  `json:"basis,omitempty"`
	// Flag is "slower" or "faster" when the ratio is at least
	// ProductionFlagRatio either way and the times differ by at least
	// ProductionFlagFloorMS: the synthetic data, its size or the indexes
	// differ from production.
	Flag string `json:"flag,omitempty"`
}

// Thresholds of Production.Flag.
const (
	ProductionFlagRatio   = 10.0
	ProductionFlagFloorMS = 1.0
)
