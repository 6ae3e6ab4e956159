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
// one pgx connection, execute them from a bounded FIFO queue. Together they
// are the application's connection pool: the time a request waits in the
// queue is its pool wait, reported on its own and included in its latency.
//
// A request is one statement or a transaction of several (Query.Statements,
// with an optional think time between them, holding locks as an application
// does). Workload.Protocol chooses how statements are sent: through pgx's
// statement cache, as explicit per-connection prepared statements, or as
// simple-protocol text; they differ when DDL changes a result type.
//
// Query failures are data: they are counted per SQLSTATE, never returned as
// errors. Only setting a run up (validation, connecting) returns an error.
package loadgen

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/brianvoe/gofakeit/v7"

	"github.com/rehearse/rehearse/internal/dbconn"
)

// ClientErrorKey is the ErrorsBySQLState key of failures that carry no
// SQLSTATE: lost connections, failed reconnections, argument encoding.
const ClientErrorKey = "client"

// ArgFunc produces one argument value from f's random source. It is called
// only from the run's scheduler goroutine, so f needs no locking; it must use
// f (not a global source) for the request sequence to be reproducible.
type ArgFunc func(f *gofakeit.Faker) any

// Query is one request of a workload: a statement, or a transaction of
// several (Statements).
type Query struct {
	// Name identifies the query in results; unique within a workload.
	Name string
	// SQL is executed with Args as $1..$n; its rows are read and discarded.
	// Empty for a transaction.
	SQL string
	// Weight is the query's relative share of the workload's requests
	// (>= 0; a zero weight never runs but still appears in results).
	Weight float64
	// Args produce the request's arguments, one function per parameter. A
	// transaction's statements pick theirs from these by index.
	Args []ArgFunc
	// Statements, when not empty, make the request a transaction: BEGIN,
	// each statement in order, COMMIT. The first failing statement rolls it
	// back and fails the request with its error; the rest do not run.
	Statements []Statement
	// Think is how long the application pauses after each statement of a
	// transaction, before the next one or COMMIT, holding its locks and its
	// connection. Transactions only.
	Think time.Duration
}

// Statement is one statement of a transaction.
type Statement struct {
	// Name identifies the statement in results; unique within its query.
	Name string
	// SQL is executed with $k bound to the query's argument Args[k-1].
	SQL string
	// Args are 0-based indexes into the query's generated arguments.
	Args []int
}

// Protocol is how a workload's connections send statements: what the
// application's driver does with them. The differences show when DDL changes
// a statement's result type (SELECT * and an added column, a type change).
type Protocol string

// The protocols. Every connection keeps what it prepared to itself.
const (
	// ProtocolCached is pgx's default (QueryExecModeCacheStatement), and
	// what most drivers with a statement cache do: a connection prepares a
	// statement the first time it runs it and reuses it. After a result-type
	// change, the next execution on each connection that cached it fails
	// with SQLSTATE 0A000 (cached plan must not change result type); pgx
	// then drops the statement from its cache and the execution after that
	// prepares it again and succeeds: one error per connection and statement.
	ProtocolCached Protocol = "cached"
	// ProtocolPrepared prepares each statement explicitly under its own name
	// (pgx Conn.Prepare) the first time a connection runs it, and executes it
	// by name from then on, never preparing again, as applications that
	// prepare their statements once per connection do. After a result-type
	// change every execution on that connection fails with 0A000 until the
	// connection is replaced. A failed prepare is retried at the next use.
	ProtocolPrepared Protocol = "prepared"
	// ProtocolSimple sends each statement as text with its arguments
	// interpolated by pgx (QueryExecModeSimpleProtocol), as clients behind
	// pgbouncer in transaction mode do: nothing is prepared, so result-type
	// changes never fail a query.
	ProtocolSimple Protocol = "simple"
)

// Workload is one simulated application version. Start does not retain or
// modify the caller's slices beyond reading them.
type Workload struct {
	// Name appears in results ("old", "new").
	Name string
	// AppName is the application_name of the workload's connections, so that
	// lock waits can be attributed; empty means dbconn.Workload(Name).
	AppName string
	// Rate is the target in requests per second (open model).
	Rate float64
	// Connections is the size of the workload's connection pool: requests
	// wait in a FIFO queue for one of them (the wait is part of their
	// latency and reported as PoolWait). All are opened by Start.
	Connections int
	// Protocol is how statements are sent; "" is ProtocolCached.
	Protocol Protocol
	// Queries is the query mix.
	Queries []Query
	// Seed makes the query mix and the arguments reproducible.
	Seed int64
}

func (w Workload) protocol() Protocol {
	if w.Protocol == "" {
		return ProtocolCached
	}
	return w.Protocol
}

func (w Workload) appName() string {
	if w.AppName != "" {
		return w.AppName
	}
	return dbconn.Workload(w.Name)
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
	switch w.protocol() {
	case ProtocolCached, ProtocolPrepared, ProtocolSimple:
	default:
		errs = append(errs, fmt.Errorf("protocol %q: use %s, %s or %s", w.Protocol, ProtocolCached, ProtocolPrepared, ProtocolSimple))
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
		errs = append(errs, validateShape(where, q)...)
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

// validateShape checks that q is a statement or a well-formed transaction.
func validateShape(where string, q Query) []error {
	if len(q.Statements) == 0 {
		var errs []error
		if q.SQL == "" {
			errs = append(errs, fmt.Errorf("%s: sql is empty", where))
		}
		if q.Think != 0 {
			errs = append(errs, fmt.Errorf("%s: think applies to transactions only", where))
		}
		return errs
	}
	var errs []error
	if q.SQL != "" {
		errs = append(errs, fmt.Errorf("%s: give sql or statements, not both", where))
	}
	if q.Think < 0 {
		errs = append(errs, fmt.Errorf("%s: think %v must be >= 0", where, q.Think))
	}
	seen := make(map[string]bool, len(q.Statements))
	for i, st := range q.Statements {
		at := fmt.Sprintf("%s statement %d (%q)", where, i, st.Name)
		switch {
		case st.Name == "":
			errs = append(errs, fmt.Errorf("%s: name is empty", at))
		case seen[st.Name]:
			errs = append(errs, fmt.Errorf("%s: duplicate name", at))
		}
		seen[st.Name] = true
		if st.SQL == "" {
			errs = append(errs, fmt.Errorf("%s: sql is empty", at))
		}
		for _, a := range st.Args {
			if a < 0 || a >= len(q.Args) {
				errs = append(errs, fmt.Errorf("%s: argument index %d out of range (the query has %d)", at, a, len(q.Args)))
			}
		}
	}
	return errs
}
