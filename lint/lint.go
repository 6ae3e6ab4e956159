// Package lint checks migration steps for the well-known hazards of schema
// changes on a busy PostgreSQL database: locks that block traffic for as
// long as a table scan or rewrite takes, changes that break the code still
// running, and statements that queue every query behind them while they wait
// for a lock. It reads the statements with PostgreSQL's parser and never
// talks to a database; a rehearsal then measures what each hazard costs.
//
// Everything here is pure and safe for concurrent use.
package lint

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rehearse/rehearse/scenarios"
)

// Severity ranks findings.
type Severity int

// Severities, least severe first.
const (
	// Info: worth knowing; may be a hazard depending on what the database knows.
	Info Severity = iota
	// Warning: a hazard under load, depending on timing and table size.
	Warning
	// Error: blocks traffic for a time that grows with the table, or breaks
	// running code.
	Error
)

var severityNames = []string{"info", "warning", "error"}

// String returns "info", "warning" or "error".
func (s Severity) String() string {
	if s < Info || s > Error {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity reads "info", "warning" or "error".
func ParseSeverity(s string) (Severity, error) {
	for i, name := range severityNames {
		if strings.EqualFold(s, name) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q: use info, warning or error", s)
}

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Finding is one hazard in one statement.
type Finding struct {
	Rule     string
	Severity Severity
	// Step is the step the statement belongs to.
	Step string
	// Statement is the statement as the migration runner executes it: the
	// same text as the step trace of a rehearsal shows.
	Statement string
	// File, Line and Column locate the statement's start in the file the
	// user edits (the scenario or a migration file).
	File         string
	Line, Column int
	// Relation is the table (or index) the hazard is about.
	Relation string
	// Lock is the lock mode the statement is predicted to take on Relation,
	// as pg_locks names it ("AccessExclusiveLock"); "" when it takes none of note.
	Lock string
	// Message says what the statement does and why it hurts.
	Message string
	// Safe is the safe way to get the same result.
	Safe string
	// Effect is what the finding claims the statement does beside taking
	// Lock, in terms a rehearsal measures (see Check); SQLState is the error
	// it claims the statement fails with, for EffectFails.
	Effect   Effect
	SQLState string
	// Rows and Bytes are the size of Relation, when Sized: known from a
	// profile or the database (WithSizes) for a finding about slow work.
	Rows, Bytes int64
	Sized       bool
}

// String formats the finding as one line that editors and CI annotations
// understand: "FILE:LINE: RULE: severity: message Instead: safe".
func (f Finding) String() string {
	loc := f.File
	if loc == "" {
		loc = f.Step
	}
	if f.Line > 0 {
		loc = fmt.Sprintf("%s:%d", loc, f.Line)
	}
	msg := fmt.Sprintf("%s: %s: %s: %s", loc, f.Rule, f.Severity, f.Message)
	if f.Safe != "" {
		msg += " Instead: " + f.Safe
	}
	return msg
}

// Query is a statement of the application code, for the rules about
// renamed and dropped tables and columns.
type Query struct {
	// Workload and Name identify the query in messages ("old", "get_user").
	Workload, Name string
	SQL            string
	// StopAfter names the step after which the query's workload stops; ""
	// when it runs to the end. A query whose workload has stopped before a
	// step is not broken by it.
	StopAfter string
}

// Option configures Steps.
type Option func(*options)

type options struct {
	schema      string
	queries     []Query
	haveQueries bool
	// version is the target server's major version; 0: unknown, judged as
	// the newest.
	version int
	// enabled and disabled override the rules' defaults by id.
	enabled, disabled map[string]bool
	// background are statements sessions beside the traffic hold locks with.
	background []Background
	// sizes are the tables' sizes; nil when unknown.
	sizes map[string]TableSize
}

// Background is a session that runs beside the traffic and holds a lock
// for a while: a long query, or a transaction left open after a statement.
type Background struct {
	Name string
	SQL  string
}

// WithVersion sets the target server's major version (15 for PostgreSQL
// 15.4): rules then judge what that version does (ADD COLUMN ... DEFAULT
// rewrites before 11, REINDEX CONCURRENTLY exists from 12, DETACH
// PARTITION CONCURRENTLY from 14). 0 means unknown, judged as the newest.
func WithVersion(major int) Option { return func(o *options) { o.version = major } }

// Enable turns on rules that are off by default (the style rules), by id.
func Enable(ids ...string) Option {
	return func(o *options) {
		o.enabled = addIDs(o.enabled, ids)
		for _, id := range ids {
			delete(o.disabled, id)
		}
	}
}

// Disable turns rules off, by id.
func Disable(ids ...string) Option {
	return func(o *options) {
		o.disabled = addIDs(o.disabled, ids)
		for _, id := range ids {
			delete(o.enabled, id)
		}
	}
}

// WithBackground gives the sessions that run beside the traffic, for the
// lock-queue rule.
func WithBackground(bs ...Background) Option {
	return func(o *options) { o.background = append(o.background, bs...) }
}

func addIDs(set map[string]bool, ids []string) map[string]bool {
	if set == nil {
		set = map[string]bool{}
	}
	for _, id := range ids {
		set[id] = true
	}
	return set
}

// on reports whether rule r runs under these options.
func (o *options) on(r Rule) bool {
	switch {
	case o.disabled[r.ID]:
		return false
	case o.enabled[r.ID]:
		return true
	}
	return !r.Off
}

// atLeast reports whether the target server is major version v or newer;
// an unknown version counts as the newest.
func (o *options) atLeast(v int) bool { return o.version == 0 || o.version >= v }

// WithSchema gives the baseline schema the steps run on: column types (for
// ALTER COLUMN TYPE), columns already NOT NULL and validated CHECK
// constraints (for SET NOT NULL).
func WithSchema(sql string) Option { return func(o *options) { o.schema = sql } }

// WithQueries gives the application's queries. Without it, a rename is
// reported as a warning (it breaks whatever still uses the old name) and a
// drop is not reported; with it, both are errors exactly when a query that
// is still running uses the name.
func WithQueries(qs ...Query) Option {
	return func(o *options) { o.queries, o.haveQueries = append(o.queries, qs...), true }
}

// Scenario lints the migration steps of a loaded scenario against its
// baseline schema, its workloads' queries, its background sessions, its
// postgres.version and its data profile's table sizes (unless opts set
// others). The orchestrator converts
// the findings into its result, where each is shown beside what was
// measured for the same step and statement.
func Scenario(sc *scenarios.Scenario, opts ...Option) []Finding {
	var qs []Query
	for _, w := range sc.Traffic.Workloads() {
		for _, q := range w.Queries {
			if q == nil {
				continue
			}
			stmts, err := q.Statements()
			if err != nil {
				continue // validation reports SQL that does not parse
			}
			for _, s := range stmts {
				qs = append(qs, Query{Workload: w.Name, Name: s.Name, SQL: s.SQL, StopAfter: w.StopAfter})
			}
		}
	}
	var bs []Background
	for _, b := range sc.Background {
		if b != nil {
			bs = append(bs, Background{Name: b.Name, SQL: b.SQL})
		}
	}
	base := []Option{WithSchema(sc.SchemaSQL), WithQueries(qs...), WithBackground(bs...)}
	if sc.Data.ProfileData != nil {
		// The profile's sizes are production's: what the migration will meet.
		base = append(base, WithSizes(SizesFromProfile(sc.Data.ProfileData)))
	}
	if v, err := strconv.Atoi(strings.SplitN(sc.Postgres.Version, ".", 2)[0]); err == nil {
		base = append(base, WithVersion(v))
	}
	return Steps(sc.Migration.Steps, append(base, opts...)...)
}

// Steps lints steps in the order they run. Statements that do not parse
// are skipped: loading a scenario reports them.
func Steps(steps []*scenarios.Step, opts ...Option) []Finding {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	l := newLinter(steps, o)
	for i, st := range steps {
		if st != nil {
			l.step(i, st)
		}
	}
	applySizes(l.findings, o.sizes)
	return l.findings
}
