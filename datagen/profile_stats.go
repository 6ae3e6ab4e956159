package datagen

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/scenarios"
)

// ProfileOption configures ReadProfile.
type ProfileOption func(*profileOptions)

type profileOptions struct {
	values bool
	tables []string
}

// ProfileValues also reads each column's most common values, their
// frequencies and its histogram bounds: real values of the database,
// possibly personal data. Without it a profile holds numbers only.
func ProfileValues() ProfileOption { return func(o *profileOptions) { o.values = true } }

// ProfileTables restricts the profile to the named tables ("users", or
// "schema.table" outside public); an unknown name is an error.
func ProfileTables(names ...string) ProfileOption {
	return func(o *profileOptions) { o.tables = append(o.tables, names...) }
}

// profileTablesSQL lists the ordinary tables of the database (partitions
// and partitioned tables are left out) with the planner's estimates.
const profileTablesSQL = `
SELECT n.nspname, c.relname, c.oid, c.reltuples::float8, c.relpages::int8, current_setting('block_size')::int8
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'
ORDER BY n.nspname, c.relname`

// profileColumnsSQL reads pg_stats (the view that shows only the columns
// the user may read), numbers only. %s is where profileValuesSQL goes.
const profileColumnsSQL = `
SELECT a.attname, format_type(a.atttypid, a.atttypmod), s.null_frac::float8, s.n_distinct::float8,
       s.avg_width, s.correlation::float8%s
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_stats s ON s.schemaname = $2 AND s.tablename = $3 AND s.attname = a.attname AND NOT s.inherited
WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum`

// profileValuesSQL adds the values, as text, for columns that are not
// arrays (whose most common values are arrays of arrays).
const profileValuesSQL = `,
       CASE WHEN t.typcategory <> 'A' THEN s.most_common_vals::text::text[] END,
       CASE WHEN t.typcategory <> 'A' THEN s.most_common_freqs::float8[] END,
       CASE WHEN t.typcategory <> 'A' THEN s.histogram_bounds::text::text[] END`

// ReadProfile reads the statistics of the database conn is connected to:
// per table pg_class.reltuples and relpages, per column pg_stats' null_frac,
// n_distinct, avg_width and correlation, and with ProfileValues its most
// common values, their frequencies and its histogram bounds. It reads no
// table: only the catalog and the statistics ANALYZE keeps. A table never
// analysed has Rows -1 (PostgreSQL 14 and later; 0 before) and no columns.
//
// Values are read as text in the session's DateStyle and TimeZone: connect
// with datestyle ISO and timezone UTC (ProfileRuntimeParams) so that datagen
// reads timestamps back.
func ReadProfile(ctx context.Context, conn *pgx.Conn, opts ...ProfileOption) (*scenarios.Profile, error) {
	var o profileOptions
	for _, opt := range opts {
		opt(&o)
	}
	prof := &scenarios.Profile{Format: scenarios.ProfileFormat, CreatedAt: time.Now().UTC().Truncate(time.Second),
		WithValues: o.values, Tables: []scenarios.ProfileTable{}}
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&prof.ServerVersion); err != nil {
		return nil, fmt.Errorf("profile: read server version: %w", err)
	}
	tables, oids, err := profileTables(ctx, conn, o.tables)
	if err != nil {
		return nil, err
	}
	for i := range tables {
		t := &tables[i]
		if t.Columns, err = profileColumns(ctx, conn, oids[i], t.Name, o.values); err != nil {
			return nil, err
		}
		prof.Tables = append(prof.Tables, *t)
	}
	return prof, nil
}

// ProfileRuntimeParams are the session settings ReadProfile's connection
// needs for values that datagen can read back.
var ProfileRuntimeParams = map[string]string{"datestyle": "ISO, YMD", "timezone": "UTC", "extra_float_digits": "3"}

func profileTables(ctx context.Context, conn *pgx.Conn, only []string) ([]scenarios.ProfileTable, []uint32, error) {
	rows, err := conn.Query(ctx, profileTablesSQL)
	if err != nil {
		return nil, nil, fmt.Errorf("profile: list tables: %w", err)
	}
	defer rows.Close()
	want := map[string]bool{}
	for _, name := range only {
		want[strings.TrimPrefix(name, "public.")] = false
	}
	var (
		tables []scenarios.ProfileTable
		oids   []uint32
	)
	for rows.Next() {
		var (
			nsp, rel string
			oid      uint32
			t        scenarios.ProfileTable
		)
		if err := rows.Scan(&nsp, &rel, &oid, &t.Rows, &t.Pages, &t.BlockSize); err != nil {
			return nil, nil, fmt.Errorf("profile: list tables: %w", err)
		}
		t.Name = identName(pgx.Identifier{nsp, rel})
		if len(only) > 0 {
			if _, ok := want[t.Name]; !ok {
				continue
			}
			want[t.Name] = true
		}
		tables, oids = append(tables, t), append(oids, oid)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("profile: list tables: %w", err)
	}
	var missing []string
	for _, name := range only {
		if !want[strings.TrimPrefix(name, "public.")] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, nil, fmt.Errorf("profile: no table %s (ordinary tables only; name a table outside public as schema.table)", strings.Join(missing, ", "))
	}
	return tables, oids, nil
}

func profileColumns(ctx context.Context, conn *pgx.Conn, oid uint32, name string, values bool) ([]scenarios.ProfileColumn, error) {
	id := tableIdent(name)
	if len(id) == 1 {
		id = pgx.Identifier{"public", name}
	}
	extra := ""
	if values {
		extra = profileValuesSQL
	}
	rows, err := conn.Query(ctx, fmt.Sprintf(profileColumnsSQL, extra), oid, id[0], id[1])
	if err != nil {
		return nil, fmt.Errorf("profile: statistics of %s: %w", name, err)
	}
	defer rows.Close()
	cols := []scenarios.ProfileColumn{}
	for rows.Next() {
		var c scenarios.ProfileColumn
		dest := []any{&c.Name, &c.Type, &c.NullFrac, &c.NDistinct, &c.AvgWidth, &c.Correlation}
		if values {
			dest = append(dest, &c.MostCommonVals, &c.MostCommonFreqs, &c.HistogramBounds)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("profile: statistics of %s: %w", name, err)
		}
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("profile: statistics of %s: %w", name, err)
	}
	return cols, nil
}
