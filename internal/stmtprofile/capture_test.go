package stmtprofile

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var preload = map[string]string{"shared_preload_libraries": "pg_stat_statements"}

const schema = `CREATE EXTENSION pg_stat_statements;
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);
CREATE TABLE orders (id bigserial PRIMARY KEY, user_id bigint REFERENCES users, total numeric);
CREATE TABLE audit (id bigserial PRIMARY KEY, note text);
INSERT INTO users SELECT g, 'user' || g || '@example.com' FROM generate_series(1, 100) g;`

// TestReadKnownMix drives a known mix between the two reads, with
// constants in the SQL text, and checks the counts, the filter and that no
// constant reaches the profile.
func TestReadKnownMix(t *testing.T) {
	dsn := pgtest.NewDBWith(t, preload)
	pgtest.Exec(t, dsn, schema)
	app := pgtest.Connect(t, dsn)
	ctx := context.Background()
	simple := pgx.QueryExecModeSimpleProtocol
	mix := func(ctx context.Context) error {
		for i := range 30 {
			if _, err := app.Exec(ctx, fmt.Sprintf("SELECT email FROM users WHERE id = %d", 1+i%100), simple); err != nil {
				return err
			}
		}
		for i := range 20 {
			if _, err := app.Exec(ctx, fmt.Sprintf("INSERT INTO orders (user_id, total) VALUES (%d, 4242.17)", 1+i), simple); err != nil {
				return err
			}
		}
		for range 10 {
			if _, err := app.Exec(ctx, "UPDATE users SET email = 'secret-value@corp.test' WHERE id = 7", simple); err != nil {
				return err
			}
			if _, err := app.Exec(ctx, "INSERT INTO audit (note) VALUES ('not profiled')", simple); err != nil {
				return err
			}
			if _, err := app.Exec(ctx, "CREATE TEMP TABLE IF NOT EXISTS scratch (x int)", simple); err != nil {
				return err
			}
		}
		return nil
	}
	conn := pgtest.Connect(t, dsn)
	c, err := Read(ctx, conn, []string{"users", "public.orders"}, WithWait(mix), WithTop(10))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		"SELECT email FROM users WHERE id = $1":               30,
		"INSERT INTO orders (user_id, total) VALUES ($1, $2)": 20,
		"UPDATE users SET email = $1 WHERE id = $2":           10,
	}
	if len(c.Statements) != len(want) {
		t.Fatalf("statements: %+v, want the 3 on users and orders", c.Statements)
	}
	for _, st := range c.Statements {
		calls := st.CallsPerS * c.Window.Seconds
		if w, ok := want[st.Query]; !ok || math.Abs(calls-w) > 1e-6 {
			t.Errorf("%q: %.3f calls, want %v", st.Query, calls, want[st.Query])
		}
		if st.MeanMS <= 0 || st.QueryID == 0 {
			t.Errorf("%q: mean %v ms, queryid %d", st.Query, st.MeanMS, st.QueryID)
		}
		if st.RowsPerCall != 1 {
			t.Errorf("%q: %v rows per call, want 1", st.Query, st.RowsPerCall)
		}
	}
	if c.Statements[0].CallsPerS < c.Statements[1].CallsPerS {
		t.Errorf("not sorted by calls: %+v", c.Statements)
	}
	if c.Skipped[SkipOtherTables] == 0 || c.Skipped[SkipUtility] == 0 {
		t.Errorf("skipped %v: want the audit insert (and the reads of pg_stat_statements) and the CREATE TEMP TABLE", c.Skipped)
	}
	for _, st := range c.Statements {
		for _, secret := range []string{"secret-value", "4242", "@corp", "example.com"} {
			if strings.Contains(st.Query, secret) {
				t.Errorf("constant %q in %q", secret, st.Query)
			}
		}
	}
	if math.Abs(c.Window.CoveredShare-1) > 1e-9 {
		t.Errorf("covered %v with --top 10 of 3", c.Window.CoveredShare)
	}
}

func TestReadCoverage(t *testing.T) {
	window := map[int64]*entry{
		1: {query: "SELECT * FROM users WHERE id = $1", calls: 900, total: 900},
		2: {query: "SELECT * FROM users WHERE email = $1", calls: 60, total: 60},
		3: {query: "DELETE FROM users WHERE id = $1", calls: 40, total: 40},
		4: {query: "SELECT count(*) FROM pg_stat_statements", calls: 500, total: 5},
	}
	c := summarize(window, 10, []string{"users"}, 0)
	if len(c.Statements) != 2 || c.Skipped[SkipCoverage] != 1 || c.Skipped[SkipOtherTables] != 1 {
		t.Fatalf("kept %+v, skipped %v: want the two covering 96%%", c.Statements, c.Skipped)
	}
	if c.Window.TotalCallsPerS != 100 || math.Abs(c.Window.CoveredShare-0.96) > 1e-9 {
		t.Errorf("window %+v", c.Window)
	}
	if c := summarize(window, 10, []string{"users"}, 1); len(c.Statements) != 1 {
		t.Errorf("top 1 kept %d", len(c.Statements))
	}
}

func TestReadNoExtension(t *testing.T) {
	dsn := pgtest.NewDBWith(t, preload)
	_, err := Read(context.Background(), pgtest.Connect(t, dsn), []string{"users"}, WithWait(func(context.Context) error { return nil }))
	if !errors.Is(err, ErrNoExtension) || !strings.Contains(err.Error(), "shared_preload_libraries = 'pg_stat_statements'") ||
		!strings.Contains(err.Error(), "CREATE EXTENSION pg_stat_statements") {
		t.Fatalf("err = %v, want ErrNoExtension with the two lines that enable it", err)
	}
}

func TestReadNotPreloaded(t *testing.T) {
	dsn := pgtest.NewDB(t) // the shared cluster does not preload it
	pgtest.Exec(t, dsn, "CREATE EXTENSION pg_stat_statements")
	_, err := Read(context.Background(), pgtest.Connect(t, dsn), []string{"users"}, WithWait(func(context.Context) error { return nil }))
	if !errors.Is(err, ErrNoExtension) || !strings.Contains(err.Error(), "shared_preload_libraries") {
		t.Fatalf("err = %v, want ErrNoExtension naming shared_preload_libraries", err)
	}
}

func TestReadNoPrivilege(t *testing.T) {
	dsn := pgtest.NewDBWith(t, preload)
	pgtest.Exec(t, dsn, `CREATE EXTENSION pg_stat_statements;
		DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'plain_reader') THEN CREATE ROLE plain_reader LOGIN PASSWORD 'reader-pw'; END IF; END $$`)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword("plain_reader", "reader-pw")
	_, err = Read(context.Background(), pgtest.Connect(t, u.String()), []string{"users"}, WithWait(func(context.Context) error { return nil }))
	if !errors.Is(err, ErrNoPrivilege) || !strings.Contains(err.Error(), `GRANT pg_read_all_stats TO "plain_reader"`) {
		t.Fatalf("err = %v, want ErrNoPrivilege with the GRANT", err)
	}
}
