// Package scenarios defines the rehearsal scenario file: its types, YAML loading
// with line:column errors, defaults and validation. It never talks to a database.
package scenarios

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Scenario is one rehearsal: a baseline schema and data set, the traffic of old
// and new application code, the migration steps and the thresholds of the verdict.
// A Scenario returned by Load is validated and has its defaults applied.
type Scenario struct {
	Name       string     `yaml:"name" json:"name"`
	Postgres   Postgres   `yaml:"postgres" json:"postgres"`
	Schema     Schema     `yaml:"schema" json:"schema"`
	Data       Data       `yaml:"data" json:"data"`
	Traffic    Traffic    `yaml:"traffic" json:"traffic"`
	Migration  Migration  `yaml:"migration" json:"migration"`
	Phases     Phases     `yaml:"phases" json:"phases"`
	Thresholds Thresholds `yaml:"thresholds" json:"thresholds"`
	// Background lists sessions that run beside the traffic (long queries,
	// idle transactions, open snapshots), each started at its trigger.
	Background []*Background `yaml:"background" json:"background,omitempty"`

	// Path is the file the scenario was read from; "" when loaded from bytes.
	Path string `yaml:"-" json:"-"`
	// SchemaSQL is the baseline schema text, read from Schema.File or Schema.SQL.
	SchemaSQL string `yaml:"-" json:"-"`
	// SchemaLine is the line of Path (or of Schema.File) where SchemaSQL starts,
	// so that SQL error positions can be reported against the file the user edits.
	SchemaLine int `yaml:"-" json:"-"`
	// SchemaFile is the file SchemaSQL came from: Schema.File resolved, or Path.
	SchemaFile string `yaml:"-" json:"-"`
	// Baseline holds one step per migration file when the schema comes from
	// schema.migrations, in the order applied; SchemaSQL is their SQL joined
	// and SchemaPos maps into their files. Nil for schema.file and schema.sql.
	Baseline []*Step `yaml:"-" json:"-"`
	// Since is the git ref that `base` in schema.migrations.to and
	// migration.migrations.from is cut against (--since); "" takes the
	// first of migrations.DefaultBaseRefs the repository has.
	Since string `yaml:"-" json:"-"`

	schemaSrc textSource // maps offsets in SchemaSQL to SchemaFile
}

// Postgres selects the server and its settings.
type Postgres struct {
	// Image is the container image (container provider only).
	Image string `yaml:"image" json:"image,omitempty"`
	// Version is a major version such as "16"; shorthand for an image or a local install.
	Version string `yaml:"version" json:"version,omitempty"`
	// Settings are server settings passed as `-c key=value` at start.
	Settings map[string]Setting `yaml:"settings" json:"settings,omitempty"`
	// Versions rehearses the scenario once per major version ("13", "17"),
	// side by side (rehearse.RunMatrix); it replaces Version.
	Versions []string `yaml:"versions" json:"versions,omitempty"`
	// Replica starts a streaming standby beside the server and records
	// replication lag and WAL volume (validate_replication.go).
	Replica bool `yaml:"replica" json:"replica,omitempty"`
	// Clone rehearses on a disposable clone made by a clone engine (DBLab,
	// Neon, Aurora) instead of a server of our own (validate_clone.go).
	Clone *Clone `yaml:"clone" json:"clone,omitempty"`
}

// Clone is a clone engine's pair of shell commands: Create prints the
// DSN of a fresh disposable clone (or JSON with "dsn"), Destroy removes
// it, given the DSN in $REHEARSE_CLONE_DSN and Create's output on stdin.
type Clone struct {
	Create  string `yaml:"create" json:"create"`
	Destroy string `yaml:"destroy" json:"destroy"`
}

// Schema is the baseline schema, applied before data is loaded.
type Schema struct {
	// File is a SQL file, relative to the scenario file.
	File string `yaml:"file" json:"file,omitempty"`
	// SQL is inline SQL.
	SQL string `yaml:"sql" json:"sql,omitempty"`
	// Migrations builds the baseline from a migration directory, up to a version.
	Migrations *MigrationDir `yaml:"migrations" json:"migrations,omitempty"`
}

// Data describes the synthetic data set loaded after the baseline schema.
type Data struct {
	// Seed makes generated data and traffic arguments reproducible.
	Seed int64 `yaml:"seed" json:"seed"`
	// From is "existing" when the database already holds the schema and
	// its rows (a clone of production): neither is applied or generated,
	// and the schema only serves validation (validate_clone.go).
	From string `yaml:"from" json:"from,omitempty"`
	// Tables maps a table name (as in the schema) to what to load into it.
	Tables map[string]*Table `yaml:"tables" json:"tables,omitempty"`
	// Vacuum is run on each loaded table once its indexes are built:
	// "freeze" (default: VACUUM (FREEZE), so traffic never meets an
	// anti-wraparound vacuum or unset hint bits), "plain" or "none".
	Vacuum string `yaml:"vacuum" json:"vacuum,omitempty"`
	// Analyze gathers planner statistics on each loaded table (default true).
	Analyze *bool `yaml:"analyze" json:"analyze,omitempty"`
	// Profile is a file written by `rehearse profile` (relative to the
	// scenario, inside its directory): every table it lists is loaded with
	// its row count times Scale, and columns data.tables does not describe
	// follow its statistics (validate_profile.go, datagen/profile.go).
	Profile string `yaml:"profile" json:"profile,omitempty"`
	// Scale multiplies the profile's row counts (default 1).
	Scale float64 `yaml:"scale" json:"scale,omitempty"`
	// ProfileData is Profile as read by validation. It is part of Data's
	// JSON so that the dataset cache's key changes with the file's content.
	ProfileData *Profile `yaml:"-" json:"profile_data,omitempty"`
	// Sweep is read by `rehearse sweep`: the sizes to rehearse the
	// migration at and the production size to predict its figures at.
	// A plain rehearsal ignores it and loads data.tables as written.
	Sweep *Sweep `yaml:"sweep" json:"sweep,omitempty"`
}

// Sweep lists the sizes a size sweep rehearses at. A size is the row count
// of the largest table in data.tables; the other tables keep their ratio
// to it.
type Sweep struct {
	// Sizes are the row counts to rehearse at, smallest first; at least 3
	// to extrapolate ("250k", "1M", "4M").
	Sizes []Count `yaml:"sizes" json:"sizes"`
	// At is the largest table's production row count, to predict each
	// step's figures at. Default: its row count in data.profile, if any.
	At Count `yaml:"at" json:"at,omitempty"`
}

// Table says how many rows a table gets and how its columns are generated.
// Columns the scenario does not name get valid values from their type and
// constraints (datagen reads them from the catalog), or their default.
type Table struct {
	Rows    Count                 `yaml:"rows" json:"rows"`
	Columns map[string]*ValueSpec `yaml:"columns" json:"columns,omitempty"`
}

// ValueSpec describes how one value is generated: a column of generated data or
// an argument of a traffic query. Exactly one of Gen, Ref or Value is set.
type ValueSpec struct {
	// Gen names a generator: gofakeit function names in lower case (name, email,
	// uuid, ...), plus number, price, date, bool and sequential.
	Gen string `yaml:"gen" json:"gen,omitempty"`
	// Ref is "table.column": a value drawn uniformly from that column's keys.
	Ref string `yaml:"ref" json:"ref,omitempty"`
	// Value is a constant.
	Value any `yaml:"value" json:"value,omitempty"`
	// Min and Max bound number and price.
	Min *float64 `yaml:"min" json:"min,omitempty"`
	Max *float64 `yaml:"max" json:"max,omitempty"`
	// From and To bound date (YYYY-MM-DD or RFC 3339).
	From string `yaml:"from" json:"from,omitempty"`
	To   string `yaml:"to" json:"to,omitempty"`
	// NullRatio is the share of NULLs, 0..1.
	NullRatio float64 `yaml:"null_ratio" json:"null_ratio,omitempty"`
	// Dist is how values (number, price, date, lists) or keys (ref) are
	// drawn: uniform (default), zipf, normal, sequential, hot, or recent
	// (dates only: more rows toward `to`).
	Dist string `yaml:"dist" json:"dist,omitempty"`
	// Exponent is zipf's s > 0 (default 1: the k-th most frequent key has
	// weight 1/k^s) or recent's steepness >= 0 (default 1).
	Exponent *float64 `yaml:"exponent" json:"exponent,omitempty"`
	// Mean and StdDev shape normal: in the values' units for number and
	// price, as a fraction 0..1 of the range for ref, date and lists.
	Mean   *float64 `yaml:"mean" json:"mean,omitempty"`
	StdDev *float64 `yaml:"stddev" json:"stddev,omitempty"`
	// Hot puts a share of the draws on a fraction of the keys; it implies
	// dist: hot (default {keys: 0.2, share: 0.8}).
	Hot *Hot `yaml:"hot" json:"hot,omitempty"`
	// Unique makes every value of a loaded column distinct (columns with a
	// single-column UNIQUE or PRIMARY KEY constraint are unique anyway).
	Unique bool `yaml:"unique" json:"unique,omitempty"`
	// Array makes a query argument an array of this many values, for
	// col = ANY($1); it applies to dist: stats (profile_from.go).
	Array int `yaml:"array" json:"array,omitempty"`
}

// Hot is the "hot keys" distribution: Share (0..1) of the draws fall on the
// first Keys (0..1) of the keys or values, the rest on the others.
type Hot struct {
	Keys  float64 `yaml:"keys" json:"keys"`
	Share float64 `yaml:"share" json:"share"`
}

// Traffic is the simulated application load: old code and new code.
type Traffic struct {
	Old *Workload `yaml:"old" json:"old,omitempty"`
	New *Workload `yaml:"new" json:"new,omitempty"`
}

// Workloads returns the configured workloads with their names, old first.
func (t Traffic) Workloads() []NamedWorkload {
	var out []NamedWorkload
	if t.Old != nil {
		out = append(out, NamedWorkload{Name: "old", Workload: t.Old})
	}
	if t.New != nil {
		out = append(out, NamedWorkload{Name: "new", Workload: t.New})
	}
	return out
}

// NamedWorkload pairs a workload with its name in the scenario ("old" or "new").
type NamedWorkload struct {
	Name string
	*Workload
}

// Workload is one version of the application: a weighted mix of queries sent at
// a fixed rate (open model) over a number of connections.
type Workload struct {
	// Rate is the target rate in queries per second.
	Rate float64 `yaml:"rate" json:"rate"`
	// Connections is the number of database connections (default 8).
	Connections int `yaml:"connections" json:"connections"`
	// Client is how the application talks to the database: protocol and
	// pool size (see ClientProtocol and PoolSize).
	Client *Client `yaml:"client" json:"client,omitempty"`
	// StartAfter names the migration step after which this workload starts;
	// empty means it runs from the baseline on.
	StartAfter string `yaml:"start_after" json:"start_after,omitempty"`
	// StopAfter names the migration step after which this workload stops (old
	// code retired before a contract step); empty means it runs to the end.
	StopAfter string   `yaml:"stop_after" json:"stop_after,omitempty"`
	Queries   []*Query `yaml:"queries" json:"queries"`
	// FromProfile adds the statements of a `rehearse profile --statements`
	// file to Queries, with their production shares (profile_from.go).
	FromProfile *FromProfile `yaml:"from_profile" json:"from_profile,omitempty"`

	// explicitRate is the rate of the queries the file writes when
	// FromProfile added its own to Rate: re-validating starts from it.
	explicitRate float64
}

// Query is one named statement of a workload with its argument generators.
type Query struct {
	Name string `yaml:"name" json:"name"`
	// Weight is the relative share of this query in the mix (default 1).
	Weight float64      `yaml:"weight" json:"weight"`
	SQL    string       `yaml:"sql" json:"sql"`
	Args   []*ValueSpec `yaml:"args" json:"args,omitempty"`
	// Transaction makes the entry a transaction of these statements, which
	// share Args; SQL is then empty. Think is the application's pause after
	// each of them, before the next one or COMMIT.
	Transaction []*TxStatement `yaml:"transaction" json:"transaction,omitempty"`
	Think       Duration       `yaml:"think" json:"think,omitempty"`
	// Profiled is the production statement the query was made from by
	// from_profile; nil for a query the file writes.
	Profiled *ProfileStatement `yaml:"-" json:"profiled,omitempty"`

	src textSource // maps offsets in SQL to the scenario file
}

// Migration is the sequence of steps rehearsed under traffic.
type Migration struct {
	Steps []*Step `yaml:"steps" json:"steps"`
	// Rollback runs, in order, when a step fails: what a deploy would do to
	// get back to a schema old code works with. The rehearsal checks it does.
	Rollback []*Step `yaml:"rollback" json:"rollback,omitempty"`
	// Migrations makes Steps one step per file of a migration directory,
	// named after the file; the file must then leave steps out.
	Migrations *MigrationDir `yaml:"migrations" json:"migrations,omitempty"`
	// AbortOn is the guard that stops the migration when traffic suffers.
	AbortOn *AbortOn `yaml:"abort_on" json:"abort_on,omitempty"`
}

// Step is one migration step: SQL, or a batched backfill.
type Step struct {
	Name string `yaml:"name" json:"name"`
	// SQL is one or more statements.
	SQL string `yaml:"sql" json:"sql,omitempty"`
	// Transaction runs the SQL in one transaction (default true). Set it to
	// false for statements that cannot run in one, such as CREATE INDEX CONCURRENTLY.
	Transaction *bool `yaml:"transaction" json:"transaction,omitempty"`
	// Batch makes this a batched step; SQL must then be empty.
	Batch *Batch `yaml:"batch" json:"batch,omitempty"`
	// LockTimeout and StatementTimeout are set on the migration session for
	// this step; zero leaves the server's setting.
	LockTimeout      Duration `yaml:"lock_timeout" json:"lock_timeout,omitempty"`
	StatementTimeout Duration `yaml:"statement_timeout" json:"statement_timeout,omitempty"`
	// Command runs an external migration tool instead of SQL, with
	// DATABASE_URL and PG* set to the rehearsal database; "$DATABASE_URL"
	// and other $VARS in the arguments are expanded.
	Command []string `yaml:"command" json:"command,omitempty"`
	// Retry re-runs the step (a batch step: the failed batch) when it fails
	// on lock_timeout, as a careful deploy script would.
	Retry *Retry `yaml:"retry" json:"retry,omitempty"`

	src textSource // maps offsets in SQL to the scenario file
}

// Retry runs a step under a lock_timeout and tries again after a pause when
// the lock is not granted in time (SQLSTATE 55P03).
type Retry struct {
	// Attempts is the most tries, the first included (default 5).
	Attempts int `yaml:"attempts" json:"attempts"`
	// LockTimeout is set for each try (default 2s).
	LockTimeout Duration `yaml:"lock_timeout" json:"lock_timeout"`
	// Backoff is the pause after the first failed try; it doubles after each
	// further one (default 1s).
	Backoff Duration `yaml:"backoff" json:"backoff"`
}

// InTransaction reports whether the step's SQL runs in one transaction.
func (s *Step) InTransaction() bool { return s.Transaction == nil || *s.Transaction }

// Batch is a key-range batched statement: SQL receives $1 (inclusive lower
// bound) and $2 (exclusive upper bound) of each range of Size keys, each batch
// in its own transaction, with Pause between batches.
type Batch struct {
	Table string   `yaml:"table" json:"table"`
	Key   string   `yaml:"key" json:"key"`
	Size  Count    `yaml:"size" json:"size"`
	Pause Duration `yaml:"pause" json:"pause,omitempty"`
	SQL   string   `yaml:"sql" json:"sql"`
	// Throttle pauses between batches while live traffic suffers.
	Throttle *Throttle `yaml:"throttle" json:"throttle,omitempty"`

	src textSource // maps offsets in SQL to the scenario file
}

// Throttle holds a batch step back while the live traffic's p99 (over the
// last second) is above MaxP99.
type Throttle struct {
	MaxP99 Duration `yaml:"max_p99" json:"max_p99"`
	// MaxReplicationLag holds batches back while the standby's replay lag
	// is above it (needs postgres.replica); zero is not watched.
	MaxReplicationLag Duration `yaml:"max_replication_lag" json:"max_replication_lag,omitempty"`
}

// AbortOn stops the migration as a careful operator would when live traffic
// crosses a line: the running statement is cancelled, the remaining steps
// are skipped and migration.rollback runs. Zero fields are not watched.
type AbortOn struct {
	// P99 is the largest p99 latency of any workload over the last second.
	P99 Duration `yaml:"p99" json:"p99,omitempty"`
	// ErrorRate is the largest share of failed requests of any workload over
	// the last second (0..1).
	ErrorRate float64 `yaml:"error_rate" json:"error_rate,omitempty"`
	// LockWait is the longest a traffic query may be waiting for a lock.
	LockWait Duration `yaml:"lock_wait" json:"lock_wait,omitempty"`
}

// Phases sets the length of the windows before and after the migration.
type Phases struct {
	// Baseline is how long traffic runs before the first step (default 10s).
	Baseline Duration `yaml:"baseline" json:"baseline"`
	// Cooldown is how long traffic runs after the last step (default 10s).
	Cooldown Duration `yaml:"cooldown" json:"cooldown"`
}

// Thresholds are the verdict's limits. A nil field is not checked.
type Thresholds struct {
	// MaxLockWait is the longest a traffic query may wait for a lock.
	MaxLockWait *Duration `yaml:"max_lock_wait" json:"max_lock_wait,omitempty"`
	// P99Regression is the largest allowed ratio of a workload's p99 during the
	// migration to its p99 in the baseline.
	P99Regression *float64 `yaml:"p99_regression" json:"p99_regression,omitempty"`
	// P99Floor is the p99 under which no regression counts: on a sub-millisecond
	// baseline, a 3x ratio can be a few milliseconds that no user notices.
	P99Floor *Duration `yaml:"p99_floor" json:"p99_floor,omitempty"`
	// MaxErrorRate is the largest share of failed queries per workload (0..1).
	MaxErrorRate map[string]float64 `yaml:"max_error_rate" json:"max_error_rate,omitempty"`
	// MaxDuration is the longest the migration (all steps) may take.
	MaxDuration *Duration `yaml:"max_duration" json:"max_duration,omitempty"`
	// MaxPoolWait is the longest a traffic request may wait for a pooled
	// connection.
	MaxPoolWait *Duration `yaml:"max_pool_wait" json:"max_pool_wait,omitempty"`
	// MaxReplicationLag is the largest replay lag the standby may reach
	// (needs postgres.replica).
	MaxReplicationLag *Duration `yaml:"max_replication_lag" json:"max_replication_lag,omitempty"`
	// Forbid lists things no step may do: rewrite a table, scan one under a
	// write-blocking lock, hold ACCESS EXCLUSIVE (or any write-blocking lock)
	// longer than a limit.
	Forbid []ForbidRule `yaml:"forbid" json:"forbid,omitempty"`
}

// Duration is a time.Duration written as "500ms", "2s", "1m30s".
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats the duration as Go does ("1.5s").
func (d Duration) String() string { return time.Duration(d).String() }

// UnmarshalYAML reads "500ms"-style strings; a bare 0 is accepted.
func (d *Duration) UnmarshalYAML(unmarshal func(any) error) error {
	var raw any
	if err := unmarshal(&raw); err != nil {
		return err
	}
	switch v := raw.(type) {
	case string:
		parsed, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("invalid duration %q (write it like 500ms, 2s or 1m30s)", v)
		}
		*d = Duration(parsed)
		return nil
	case uint64:
		if v == 0 {
			*d = 0
			return nil
		}
	case int64:
		if v == 0 {
			*d = 0
			return nil
		}
	}
	return fmt.Errorf("invalid duration %v: give a unit, like 500ms, 2s or 1m30s", raw)
}

// MarshalJSON writes the duration as a string ("500ms").
func (d Duration) MarshalJSON() ([]byte, error) { return []byte(`"` + d.String() + `"`), nil }

// Count is a non-negative number of rows or keys; "2_000_000" and "2M"
// are accepted (UnmarshalYAML).
type Count int64

// UnmarshalYAML reads a whole number of rows: 2000000, 2_000_000, or a
// string with a k, M or G suffix ("250k", "2.5M", "1G").
func (n *Count) UnmarshalYAML(unmarshal func(any) error) error {
	var raw any
	if err := unmarshal(&raw); err != nil {
		return err
	}
	switch v := raw.(type) {
	case uint64:
		if v <= math.MaxInt64 {
			*n = Count(v)
			return nil
		}
	case int64:
		*n = Count(v)
		return nil
	case float64:
		if v == math.Trunc(v) && math.Abs(v) <= 1<<53 {
			*n = Count(v)
			return nil
		}
	case string:
		c, err := ParseCount(v)
		if err != nil {
			return err
		}
		*n = c
		return nil
	}
	return fmt.Errorf("invalid row count %v: write a whole number such as 2000000, 2_000_000, 250k or 4M", raw)
}

// ParseCount reads a row count as a person writes it: 1000000, 1_000_000,
// 250k, 2.5M or 1G (k, M, G are 10^3, 10^6, 10^9; B is G).
func ParseCount(s string) (Count, error) {
	t := strings.ReplaceAll(strings.TrimSpace(s), "_", "")
	mult := 1.0
	if t != "" {
		switch t[len(t)-1] {
		case 'k', 'K':
			mult = 1e3
		case 'M':
			mult = 1e6
		case 'G', 'B': // B: billion, as --sizes took it before
			mult = 1e9
		}
		if mult != 1 {
			t = t[:len(t)-1]
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) || v*mult > 9e18 || v*mult != math.Trunc(v*mult) {
		return 0, fmt.Errorf("invalid row count %q: write a whole number such as 2000000, 2_000_000, 250k or 4M", s)
	}
	return Count(v * mult), nil
}

// Setting is a server setting value; numbers and booleans are kept as written.
type Setting string

// UnmarshalYAML accepts any scalar (256MB, 200, on, true) as the setting's text.
func (s *Setting) UnmarshalYAML(unmarshal func(any) error) error {
	var raw any
	if err := unmarshal(&raw); err != nil {
		return err
	}
	switch raw.(type) {
	case map[string]any, []any, nil:
		return fmt.Errorf("a setting must be a single value such as 256MB, 200 or on")
	}
	*s = Setting(fmt.Sprint(raw))
	return nil
}
