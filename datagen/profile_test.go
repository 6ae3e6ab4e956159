package datagen

import (
	"context"
	"encoding/json"
	"math"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/internal/pgtest"
	"github.com/rehearse/rehearse/scenarios"
)

// profiledSchema is the schema of the "production" database the profile
// round trip starts from, and of the database it generates into.
const profiledSchema = `
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE accounts (
  id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name   text NOT NULL,
  region text NOT NULL);
CREATE TABLE events (
  id          bigserial PRIMARY KEY,
  account_id  bigint REFERENCES accounts (id),
  kind        text NOT NULL,
  note        text,
  amount      numeric(10,2),
  score       int,
  happened_at timestamptz NOT NULL,
  token       uuid,
  feeling     mood);`

// productionRows fills the source database with 2,000 accounts and 30,000
// events of known shapes. ANALYZE samples 30,000 rows at the default
// statistics target, so its statistics of these tables are exact.
const productionRows = `
INSERT INTO accounts (name, region)
SELECT 'account ' || i, (ARRAY['eu', 'us', 'apac'])[1 + i % 3] FROM generate_series(1, 2000) i;
INSERT INTO events (account_id, kind, note, amount, score, happened_at, token, feeling)
SELECT CASE WHEN i % 10 = 0 THEN NULL ELSE 1 + (i * 7919) % 500 END,
       CASE WHEN i % 10 < 6 THEN 'view' WHEN i % 10 < 9 THEN 'click' ELSE 'buy' END,
       CASE WHEN i % 5 < 3 THEN NULL ELSE repeat('x', 60 + i % 40) END,
       ((i * 37) % 100000) / 100.0,
       (i * 13) % 50,
       timestamptz '2024-01-01' + i * interval '1 minute',
       md5(i::text)::uuid,
       (ARRAY['sad', 'ok', 'happy']::mood[])[1 + i % 3]
FROM generate_series(1, 30000) i;
ANALYZE accounts;
ANALYZE events;`

func readProfile(t *testing.T, dsn string, opts ...ProfileOption) *scenarios.Profile {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range ProfileRuntimeParams {
		cfg.RuntimeParams[k] = v
	}
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	prof, err := ReadProfile(context.Background(), conn, opts...)
	if err != nil {
		t.Fatalf("ReadProfile: %v", err)
	}
	return prof
}

// profiledData is what validation makes of `data: {profile: ..., scale: ...}`:
// every profiled table, with its scaled rows.
func profiledData(prof *scenarios.Profile, scale float64) scenarios.Data {
	data := scenarios.Data{Seed: 7, Tables: map[string]*scenarios.Table{}, Profile: "profile.json", Scale: scale, ProfileData: prof}
	for _, t := range prof.Tables {
		data.Tables[t.Name] = &scenarios.Table{Rows: scenarios.Count(t.ScaledRows(scale))}
	}
	return data
}

// TestProfileRoundTrip profiles a database made here, generates a new one
// from the profile at half the size, profiles that, and compares: row
// counts, null fractions, distinct counts, text widths and correlation.
func TestProfileRoundTrip(t *testing.T) {
	source := pgtest.NewDB(t)
	pgtest.Exec(t, source, profiledSchema)
	pgtest.Exec(t, source, productionRows)
	prof := readProfile(t, source, ProfileTables("accounts", "events"))
	if len(prof.Tables) != 2 || prof.Table("events").Rows != 30000 {
		t.Fatalf("profile tables %+v", prof.Tables)
	}
	for _, c := range prof.Table("events").Columns {
		if c.MostCommonVals != nil || c.HistogramBounds != nil {
			t.Fatalf("column %s: values read without ProfileValues", c.Name)
		}
	}
	raw, _ := json.Marshal(prof)
	if json.Valid(raw) && len(raw) > 0 && containsAny(string(raw), "most_common_vals", "histogram_bounds", "account 1") {
		t.Fatalf("profile JSON holds values: %s", raw)
	}

	target := pgtest.NewDB(t)
	pgtest.Exec(t, target, profiledSchema)
	mustLoad(t, target, profiledData(prof, 0.5), nil)
	got := readProfile(t, target)

	for _, want := range prof.Tables {
		g := got.Table(want.Name)
		if g == nil || g.Rows != math.Round(want.Rows*0.5) {
			t.Fatalf("table %s: got %+v, want %v rows", want.Name, g, want.Rows*0.5)
		}
		for _, wc := range want.Columns {
			gc := g.Column(wc.Name)
			if gc == nil {
				t.Errorf("%s.%s: no statistics after the load", want.Name, wc.Name)
				continue
			}
			compareColumn(t, want.Name, wc, *gc, want.Rows, g.Rows)
		}
	}
}

// compareColumn checks a generated column's statistics against the
// profiled ones, within what sampling and rounding allow.
func compareColumn(t *testing.T, table string, want, got scenarios.ProfileColumn, wantRows, gotRows float64) {
	t.Helper()
	name := table + "." + want.Name
	if math.Abs(got.NullFrac-want.NullFrac) > 0.02 {
		t.Errorf("%s: null_frac %.3f, want %.3f", name, got.NullFrac, want.NullFrac)
	}
	if want.Name == "id" {
		return // keys come from the sequence
	}
	wantD, gotD := distinctCount(want.NDistinct, wantRows, 0.5), distinctCount(got.NDistinct, gotRows, 1)
	if gotD < 0.8*wantD || gotD > 1.2*wantD {
		t.Errorf("%s: %.0f distinct values (n_distinct %v), want about %.0f (n_distinct %v)", name, gotD, got.NDistinct, wantD, want.NDistinct)
	}
	if want.Name == "note" && (got.AvgWidth < want.AvgWidth*3/4 || got.AvgWidth > want.AvgWidth*5/4) {
		t.Errorf("%s: avg_width %d, want about %d", name, got.AvgWidth, want.AvgWidth)
	}
	if want.Name == "happened_at" || want.Name == "score" || want.Name == "amount" {
		if want.Correlation == nil || got.Correlation == nil || math.Abs(*got.Correlation-*want.Correlation) > 0.15 {
			t.Errorf("%s: correlation %v, want about %v", name, deref(got.Correlation), deref(want.Correlation))
		}
	}
}

// distinctCount turns n_distinct into a count of values for rows×scale rows;
// a positive n_distinct is a count that does not grow with the table.
func distinctCount(nd, rows, scale float64) float64 {
	if nd < 0 {
		return -nd * rows * scale
	}
	return math.Min(nd, rows*scale)
}

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		for i := 0; i+len(sub) <= len(s); i++ {
			if s[i:i+len(sub)] == sub {
				return true
			}
		}
	}
	return false
}

// TestProfileWithValues draws the most common values with their
// frequencies and numbers within the histogram.
func TestProfileWithValues(t *testing.T) {
	source := pgtest.NewDB(t)
	pgtest.Exec(t, source, profiledSchema)
	pgtest.Exec(t, source, productionRows)
	prof := readProfile(t, source, ProfileTables("events", "accounts"), ProfileValues())
	kind := prof.Table("events").Column("kind")
	if !prof.WithValues || len(kind.MostCommonVals) != 3 {
		t.Fatalf("kind: most common values %v", kind.MostCommonVals)
	}

	target := pgtest.NewDB(t)
	pgtest.Exec(t, target, profiledSchema)
	mustLoad(t, target, profiledData(prof, 0.5), nil)
	conn := pgtest.Connect(t, target)
	share := map[string]float64{}
	rows, err := conn.Query(context.Background(), `SELECT kind, count(*)::float8 / sum(count(*)) OVER () FROM events GROUP BY kind`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		var f float64
		if err := rows.Scan(&k, &f); err != nil {
			t.Fatal(err)
		}
		share[k] = f
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]float64{"view": 0.6, "click": 0.3, "buy": 0.1} {
		if math.Abs(share[k]-want) > 0.02 {
			t.Errorf("kind %s: share %.3f, want %.1f (all: %v)", k, share[k], want, share)
		}
	}
	var lo, hi float64
	var before, after int64
	if err := conn.QueryRow(context.Background(), `SELECT min(amount), max(amount),
		count(*) FILTER (WHERE happened_at < '2024-01-01'), count(*) FILTER (WHERE happened_at > '2024-01-22')
		FROM events`).Scan(&lo, &hi, &before, &after); err != nil {
		t.Fatal(err)
	}
	if lo < 0 || hi > 1000 || before != 0 || after != 0 {
		t.Errorf("values outside the histogram: amount %v..%v, %d events before and %d after the profiled span", lo, hi, before, after)
	}
}

func TestProfileUnknownTable(t *testing.T) {
	dsn := pgtest.NewDB(t)
	pgtest.Exec(t, dsn, profiledSchema)
	conn := pgtest.Connect(t, dsn)
	_, err := ReadProfile(context.Background(), conn, ProfileTables("events", "nope"))
	if err == nil || !containsAny(err.Error(), "no table nope") {
		t.Fatalf("err = %v, want one naming nope", err)
	}
	prof, err := ReadProfile(context.Background(), conn)
	if err != nil {
		t.Fatal(err)
	}
	if ev := prof.Table("events"); ev == nil || ev.Rows > 0 || len(ev.Columns) != 0 {
		t.Errorf("a never-analysed table: %+v, want rows <= 0 and no columns", ev)
	}
}
