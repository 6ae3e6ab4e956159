// Package loadgen is rehearse's open-model traffic generator: it drives one
// simulated application version (a Workload) against PostgreSQL at a target
// rate and records what the database did to every request.
//
// The model is open: request n is due at start + Pacer.Due(n) whatever the
// database is doing, and its latency is measured from that due time to its
// completion, so a stall shows as the full wait of every request scheduled
// during it (no coordinated omission). A single scheduler goroutine picks the
// queries and generates their arguments from seeded sources, so a workload's
// request sequence is reproducible; Workload.Connections workers, each owning
// one pgx connection, execute them from a bounded queue.
//
// Query failures are data: they are counted per SQLSTATE, never returned as
// errors. Only setting a run up (validation, connecting) returns an error.
package loadgen

import (
	"errors"
	"fmt"
	"math"

	"github.com/brianvoe/gofakeit/v7"
)

// ClientErrorKey is the ErrorsBySQLState key of failures that carry no
// SQLSTATE: lost connections, failed reconnections, argument encoding.
const ClientErrorKey = "client"

// ArgFunc produces one argument value from f's random source. It is called
// only from the run's scheduler goroutine, so f needs no locking; it must use
// f (not a global source) for the request sequence to be reproducible.
type ArgFunc func(f *gofakeit.Faker) any

// Query is one statement of a workload.
type Query struct {
	// Name identifies the query in results; unique within a workload.
	Name string
	// SQL is executed with Args as $1..$n; its rows are read and discarded.
	SQL string
	// Weight is the query's relative share of the workload's requests
	// (>= 0; a zero weight never runs but still appears in results).
	Weight float64
	// Args produce the statement's arguments, one function per parameter.
	Args []ArgFunc
}

// Workload is one simulated application version. Start does not retain or
// modify the caller's slices beyond reading them.
type Workload struct {
	// Name appears in results ("old", "new").
	Name string
	// AppName is the application_name of the workload's connections, so that
	// lock waits can be attributed; empty means "rehearse/" + Name.
	AppName string
	// Rate is the target in requests per second (open model).
	Rate float64
	// Connections is the number of workers, each with its own connection.
	Connections int
	// Queries is the query mix.
	Queries []Query
	// Seed makes the query mix and the arguments reproducible.
	Seed int64
}

func (w Workload) appName() string {
	if w.AppName != "" {
		return w.AppName
	}
	return "rehearse/" + w.Name
}

// validate reports every problem of w at once.
func (w Workload) validate() error {
	var errs []error
	if w.Name == "" {
		errs = append(errs, errors.New("name is empty"))
	}
	if !(w.Rate > 0) || math.IsInf(w.Rate, 0) {
		errs = append(errs, fmt.Errorf("rate %v: must be a positive number of requests per second", w.Rate))
	}
	if w.Connections < 1 {
		errs = append(errs, fmt.Errorf("connections %d: must be at least 1", w.Connections))
	}
	if len(w.Queries) == 0 {
		errs = append(errs, errors.New("no queries"))
	}
	errs = append(errs, validateQueries(w.Queries)...)
	return errors.Join(errs...)
}

func validateQueries(qs []Query) []error {
	var errs []error
	seen := make(map[string]bool, len(qs))
	total := 0.0
	for i, q := range qs {
		where := fmt.Sprintf("query %d (%q)", i, q.Name)
		switch {
		case q.Name == "":
			errs = append(errs, fmt.Errorf("%s: name is empty", where))
		case seen[q.Name]:
			errs = append(errs, fmt.Errorf("%s: duplicate name", where))
		}
		seen[q.Name] = true
		if q.SQL == "" {
			errs = append(errs, fmt.Errorf("%s: sql is empty", where))
		}
		if !(q.Weight >= 0) || math.IsInf(q.Weight, 0) {
			errs = append(errs, fmt.Errorf("%s: weight %v must be a finite number >= 0", where, q.Weight))
		} else {
			total += q.Weight
		}
		for j, a := range q.Args {
			if a == nil {
				errs = append(errs, fmt.Errorf("%s: argument $%d has no generator", where, j+1))
			}
		}
	}
	if len(qs) > 0 && !(total > 0) {
		errs = append(errs, errors.New("the query weights sum to zero"))
	}
	return errs
}
