package scenarios

import "time"

// Defaults applied by Load and Parse to keys the file leaves out (or sets to
// null). A key written explicitly keeps its value, so `baseline: 0s` means no
// baseline and `seed: 0` is seed 0; explicit values are then validated, so
// `connections: 0` is an error rather than 8.
const (
	// DefaultPhase is the length of phases.baseline and phases.cooldown.
	DefaultPhase = 10 * time.Second
	// DefaultConnections is a workload's number of connections.
	DefaultConnections = 8
	// DefaultWeight is a query's weight in its workload's mix.
	DefaultWeight = 1.0
	// DefaultSeed is data.seed; a --seed flag overrides it.
	DefaultSeed = 1
	// DefaultBatchSize is the number of keys per batch of a batched step.
	DefaultBatchSize = 1000
)

// ApplyDefaults fills in defaults for a Scenario built in Go, treating every
// zero value as unset. Load and Parse apply defaults themselves, by presence
// of the keys in the file.
func (s *Scenario) ApplyDefaults() {
	s.applyDefaults(nil)
}

// applyDefaults fills unset values. written reports whether the file sets
// the key at a path; nil means "look at zero values" (a Go-built scenario).
func (s *Scenario) applyDefaults(written func(keyPath) bool) {
	// A zero value that the file does not write is unset; the zero check
	// keeps values that came in through YAML merge keys (<<: *base).
	unset := func(p keyPath, isZero bool) bool {
		return isZero && (written == nil || !written(p))
	}
	phases := root().key("phases")
	if unset(phases.key("baseline"), s.Phases.Baseline == 0) {
		s.Phases.Baseline = Duration(DefaultPhase)
	}
	if unset(phases.key("cooldown"), s.Phases.Cooldown == 0) {
		s.Phases.Cooldown = Duration(DefaultPhase)
	}
	if unset(root().key("data").key("seed"), s.Data.Seed == 0) {
		s.Data.Seed = DefaultSeed
	}
	for _, w := range s.Traffic.Workloads() {
		s.workloadDefaults(root().key("traffic").key(w.Name), w.Workload, unset)
	}
	for i, st := range s.Migration.Steps {
		p := root().key("migration").key("steps").idx(i).key("batch").key("size")
		if st != nil && st.Batch != nil && unset(p, st.Batch.Size == 0) {
			st.Batch.Size = DefaultBatchSize
		}
	}
}

func (s *Scenario) workloadDefaults(p keyPath, w *Workload, unset func(keyPath, bool) bool) {
	if unset(p.key("connections"), w.Connections == 0) {
		w.Connections = DefaultConnections
	}
	for i, q := range w.Queries {
		if q != nil && unset(p.key("queries").idx(i).key("weight"), q.Weight == 0) {
			q.Weight = DefaultWeight
		}
	}
}
