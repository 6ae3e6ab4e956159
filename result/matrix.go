package result

import (
	"time"
)

// KindMatrix is Matrix.Kind: it tells a matrix document from a single Result.
const KindMatrix = "matrix"

// Matrix is one scenario rehearsed once per PostgreSQL version, side by side.
// It is written instead of a Result when a scenario has postgres.versions or
// --pg-versions is given.
type Matrix struct {
	SchemaVersion int    `json:"schema_version"`
	Kind          string `json:"kind"`
	Scenario      string `json:"scenario"`
	// StartedAt and DurationMS cover every run.
	StartedAt  time.Time `json:"started_at"`
	DurationMS int64     `json:"duration_ms"`
	// Command reproduces the matrix; empty when the caller did not record it.
	Command string `json:"command,omitempty"`
	// Versions are the versions asked for, in the order asked.
	Versions []string `json:"versions"`
	// Runs has one entry per version that was rehearsed, in the order asked;
	// a version whose server would not start has an aborted run.
	Runs []VersionRun `json:"runs"`
	// Skipped lists the versions not rehearsed because this machine cannot
	// start them (binaries not installed, image not available).
	Skipped []SkippedVersion `json:"skipped"`
	// Differences are what changed from one version to another (Differences).
	Differences []string `json:"differences"`
}

// VersionRun is one version's rehearsal: the version asked for and the full
// Result, whose fields are inlined in JSON (so each run reads as a Result).
type VersionRun struct {
	Version string `json:"version"`
	Result
}

// SkippedVersion is a version that was asked for and not rehearsed.
type SkippedVersion struct {
	Version string `json:"version"`
	Reason  string `json:"reason"`
}

// Outcome is the matrix's overall verdict: "ABORTED" when a run could not
// complete or no version ran at all, else "FAIL" when a run failed, else
// "PASS" (skipped versions do not count either way).
func (m *Matrix) Outcome() string {
	if len(m.Runs) == 0 {
		return "ABORTED"
	}
	out := "PASS"
	for i := range m.Runs {
		switch VerdictWord(&m.Runs[i].Result) {
		case "ABORTED":
			return "ABORTED"
		case "FAIL":
			out = "FAIL"
		}
	}
	return out
}

// VerdictWord is PASS, FAIL or ABORTED (a rehearsal that stopped part way).
func VerdictWord(r *Result) string {
	switch {
	case r.Status == StatusAborted:
		return "ABORTED"
	case r.Verdict.Pass:
		return "PASS"
	}
	return "FAIL"
}
