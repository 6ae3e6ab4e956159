package scenarios

import (
	"fmt"
	"math"
	"strings"
)

// ProfileStatement is one normalized statement of pg_stat_statements, as
// measured over the profile's window. Its field names are a contract: other
// tools read them.
type ProfileStatement struct {
	// Query is the normalized text: PostgreSQL replaced every constant by
	// $n, so it holds no value of the database.
	Query string `json:"query"`
	// CallsPerS is the statement's calls per second over the window.
	CallsPerS float64 `json:"calls_per_s"`
	// MeanMS and StddevMS are the mean and standard deviation of its
	// execution time over the window, in milliseconds.
	MeanMS   float64 `json:"mean_ms"`
	StddevMS float64 `json:"stddev_ms"`
	// RowsPerCall is the rows it returned or changed per call.
	RowsPerCall float64 `json:"rows_per_call"`
	// QueryID is pg_stat_statements' queryid, a hash of the statement's
	// shape: it tells profiles of the same application apart statement by
	// statement.
	QueryID int64 `json:"queryid,omitempty"`
}

// StatementsWindow says how the statements were measured.
type StatementsWindow struct {
	// Seconds is the time between the two reads of pg_stat_statements.
	Seconds float64 `json:"seconds"`
	// TotalCallsPerS is the calls per second of every statement on the
	// profiled tables, before the list was cut to the top ones; Statements
	// then cover CoveredShare (0..1) of them.
	TotalCallsPerS float64 `json:"total_calls_per_s"`
	CoveredShare   float64 `json:"covered_share"`
}

// TotalCallsPerS is the calls per second of the statements the profile
// lists.
func (p *Profile) TotalCallsPerS() float64 {
	total := 0.0
	for _, st := range p.Statements {
		total += st.CallsPerS
	}
	return total
}

func (p *Profile) checkStatements() []error {
	var errs []error
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) && x >= 0 }
	for i, st := range p.Statements {
		switch {
		case strings.TrimSpace(st.Query) == "":
			errs = append(errs, fmt.Errorf("statements[%d]: no query", i))
		case !finite(st.CallsPerS) || !finite(st.MeanMS) || !finite(st.StddevMS) || !finite(st.RowsPerCall):
			errs = append(errs, fmt.Errorf("statements[%d]: calls_per_s, mean_ms, stddev_ms and rows_per_call must be numbers >= 0", i))
		}
	}
	return errs
}
