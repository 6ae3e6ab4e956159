package scenarios

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// ProfileFormat is the version of the profile file format that
// `rehearse profile` writes and data.profile reads.
const ProfileFormat = 1

// Profile is what `rehearse profile` reads from a database's statistics:
// each table's estimated row count and, per column, the shape of its values
// as ANALYZE measured it. Without WithValues it holds no value of the
// database, only numbers about them.
type Profile struct {
	// Format is ProfileFormat.
	Format int `json:"rehearse_profile"`
	// ServerVersion is the profiled server's server_version.
	ServerVersion string `json:"server_version,omitempty"`
	// CreatedAt is when the profile was read.
	CreatedAt time.Time `json:"created_at"`
	// WithValues says whether most-common values and histogram bounds were
	// read (`rehearse profile --with-values`): real values, possibly
	// personal data.
	WithValues bool           `json:"with_values"`
	Tables     []ProfileTable `json:"tables"`
	// StatementsWindow and Statements are what `rehearse profile
	// --statements` measured from pg_stat_statements (profile_statements.go);
	// empty without it.
	StatementsWindow *StatementsWindow  `json:"statements_window,omitempty"`
	Statements       []ProfileStatement `json:"statements,omitempty"`
}

// ProfileTable is one table's statistics.
type ProfileTable struct {
	// Name is the table as data.tables names it: "users" in the public
	// schema, "schema.table" elsewhere.
	Name string `json:"name"`
	// Rows is pg_class.reltuples, the planner's row estimate; -1 when the
	// table has never been vacuumed or analysed.
	Rows float64 `json:"rows"`
	// Pages is pg_class.relpages, in blocks of BlockSize bytes.
	Pages     int64 `json:"pages"`
	BlockSize int64 `json:"block_size,omitempty"`
	// Columns are the columns pg_stats describes, in table order; a column
	// without statistics is left out.
	Columns []ProfileColumn `json:"columns"`
}

// ProfileColumn is one column's pg_stats row.
type ProfileColumn struct {
	Name string `json:"name"`
	// Type is format_type of the column: "character varying(80)".
	Type string `json:"type"`
	// NullFrac is the share of NULLs, 0..1.
	NullFrac float64 `json:"null_frac"`
	// NDistinct is the number of distinct non-NULL values when > 0; when < 0,
	// minus that number divided by the row count (-1: every row differs),
	// which PostgreSQL uses when the count grows with the table.
	NDistinct float64 `json:"n_distinct"`
	// AvgWidth is the average stored width of the non-NULL values, in bytes.
	AvgWidth int `json:"avg_width"`
	// Correlation is between -1 and 1: how closely the physical order of the
	// rows follows the order of the values; nil when PostgreSQL has none.
	Correlation *float64 `json:"correlation,omitempty"`
	// MostCommonVals, MostCommonFreqs and HistogramBounds are pg_stats'
	// values as text, read only with --with-values. Each frequency is a
	// share of all rows.
	MostCommonVals  []string  `json:"most_common_vals,omitempty"`
	MostCommonFreqs []float64 `json:"most_common_freqs,omitempty"`
	HistogramBounds []string  `json:"histogram_bounds,omitempty"`
}

// Table returns the profile of the table named name ("public." optional),
// or nil.
func (p *Profile) Table(name string) *ProfileTable {
	if p == nil {
		return nil
	}
	for i := range p.Tables {
		if normalizeTable(p.Tables[i].Name) == normalizeTable(name) {
			return &p.Tables[i]
		}
	}
	return nil
}

// Column returns the statistics of column name, or nil.
func (t *ProfileTable) Column(name string) *ProfileColumn {
	if t == nil {
		return nil
	}
	for i := range t.Columns {
		if t.Columns[i].Name == name {
			return &t.Columns[i]
		}
	}
	return nil
}

// ScaledRows is the row count a table of the profile gets at scale: its
// estimate times scale, rounded, and never negative.
func (t *ProfileTable) ScaledRows(scale float64) int64 {
	if t.Rows <= 0 {
		return 0
	}
	return int64(math.Round(t.Rows * scale))
}

// ReadProfile decodes a profile strictly (unknown keys are errors) and
// checks its numbers, so that a hand-edited file fails here rather than
// during the load.
func ReadProfile(r io.Reader) (*Profile, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read profile: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	p := &Profile{}
	if err := dec.Decode(p); err != nil {
		return nil, fmt.Errorf("decode profile: %w", err)
	}
	if p.Format != ProfileFormat {
		return nil, fmt.Errorf("profile format %d: this rehearse reads format %d (rehearse_profile); profile the database again", p.Format, ProfileFormat)
	}
	return p, errors.Join(append(p.check(), p.checkStatements()...)...)
}

func (p *Profile) check() []error {
	var errs []error
	seen := map[string]bool{}
	for _, t := range p.Tables {
		switch {
		case t.Name == "":
			errs = append(errs, errors.New("a table without a name"))
			continue
		case seen[normalizeTable(t.Name)]:
			errs = append(errs, fmt.Errorf("table %s is listed twice", t.Name))
		case math.IsNaN(t.Rows) || math.IsInf(t.Rows, 0):
			errs = append(errs, fmt.Errorf("table %s: rows is not a number", t.Name))
		}
		seen[normalizeTable(t.Name)] = true
		for _, c := range t.Columns {
			if err := c.check(); err != nil {
				errs = append(errs, fmt.Errorf("table %s column %s: %w", t.Name, c.Name, err))
			}
		}
	}
	return errs
}

func (c ProfileColumn) check() error {
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	switch {
	case c.Name == "":
		return errors.New("no name")
	case !finite(c.NullFrac) || c.NullFrac < 0 || c.NullFrac > 1:
		return fmt.Errorf("null_frac %v is outside 0..1", c.NullFrac)
	case !finite(c.NDistinct) || c.NDistinct < -1:
		return fmt.Errorf("n_distinct %v: want a count > 0 or a fraction in -1..0", c.NDistinct)
	case c.AvgWidth < 0:
		return fmt.Errorf("avg_width %d is negative", c.AvgWidth)
	case c.Correlation != nil && (!finite(*c.Correlation) || math.Abs(*c.Correlation) > 1):
		return fmt.Errorf("correlation %v is outside -1..1", *c.Correlation)
	case len(c.MostCommonVals) != len(c.MostCommonFreqs):
		return fmt.Errorf("%d most_common_vals but %d most_common_freqs", len(c.MostCommonVals), len(c.MostCommonFreqs))
	}
	sum := 0.0
	for _, f := range c.MostCommonFreqs {
		if !finite(f) || f < 0 || f > 1 {
			return fmt.Errorf("most_common_freqs %v is outside 0..1", f)
		}
		sum += f
	}
	if sum+c.NullFrac > 1.001 {
		return fmt.Errorf("most_common_freqs and null_frac add up to %.3f, more than 1", sum+c.NullFrac)
	}
	return nil
}
