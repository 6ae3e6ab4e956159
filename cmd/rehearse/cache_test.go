package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/internal/dscache"
	"github.com/rehearse/rehearse/internal/pgtest"
)

// TestMain gives the package's tests a throwaway PostgreSQL (for the
// commands that take --dsn) and turns the dataset cache off, so that the
// rehearsals they run (in process, or the built binary) never write to the
// user's cache, and run the same whatever ran before them. The cache's own
// tests turn it on, in a directory of their own.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "rehearse-cmd-cache-")
	if err != nil {
		panic(err)
	}
	os.Setenv(dscache.DirEnv, dir)
	os.Setenv(noCacheEnv, "1")
	code := pgtest.Main(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

// TestCacheCommands rehearses a scenario twice (the second run starts from
// the cache), once more with --no-cache, then lists and prunes the cache.
func TestCacheCommands(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(dscache.DirEnv, dir)
	t.Setenv(noCacheEnv, "")
	cached := func(args ...string) bool {
		t.Helper()
		path := filepath.Join(t.TempDir(), "r.json")
		code, out, errOut := run(t, append([]string{"testdata/pass.yaml", "--provider", "local", "--json", path}, args...)...)
		if code != exitPass {
			t.Fatalf("%v: exit %d\n%s\n%s", args, code, out, errOut)
		}
		return readResult(t, path).Data.Cached
	}
	if cached() || !cached() || cached("--no-cache") {
		t.Fatal("want a miss, a hit, then no cache with --no-cache")
	}
	t.Setenv(noCacheEnv, "1")
	if cached() {
		t.Fatalf("%s=1 used the cache", noCacheEnv)
	}
	t.Setenv(noCacheEnv, "")

	code, out, _ := run(t, "cache", "ls")
	if code != 0 || !strings.Contains(out, "tiny pass") || !strings.Contains(out, "1 dataset,") || !strings.Contains(out, dir) {
		t.Errorf("cache ls: exit %d\n%s", code, out)
	}
	code, out, _ = run(t, "cache", "ls", "--format", "json")
	var listed struct {
		Entries []struct {
			Key      string `json:"key"`
			Scenario string `json:"scenario"`
		} `json:"entries"`
	}
	if err := json.Unmarshal([]byte(out), &listed); code != 0 || err != nil || len(listed.Entries) != 1 || listed.Entries[0].Scenario != "tiny pass" {
		t.Errorf("cache ls --json: exit %d, %v\n%s", code, err, out)
	}

	for _, args := range [][]string{{"cache", "prune"}, {"cache", "prune", "--older-than", "soon"}, {"cache", "prune", "--max-size", "lots"}} {
		if code, _, errOut := run(t, args...); code != exitCannotRun || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 and why", args, code, errOut)
		}
	}
	code, out, _ = run(t, "cache", "prune", "--older-than", "7d")
	if code != 0 || !strings.Contains(out, "removed 0 datasets") {
		t.Errorf("prune --older-than 7d: exit %d: %s", code, out)
	}
	code, out, _ = run(t, "cache", "prune", "--max-size", "1KB")
	if code != 0 || !strings.Contains(out, "removed 1 dataset ") {
		t.Errorf("prune --max-size 1KB: exit %d: %s", code, out)
	}
	if _, out, _ = run(t, "cache", "ls"); !strings.Contains(out, "no cached datasets") {
		t.Errorf("after pruning: %s", out)
	}
}

// datagenScenario describes the data of a schema that the test creates in
// the target database itself.
const datagenScenario = `
name: data only
schema:
  sql: |
    CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, email text UNIQUE);
    CREATE TABLE orders (id bigserial PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id), total numeric(10,2));
data:
  tables:
    users: {rows: 3000, columns: {name: {gen: name}}}
    orders: {rows: 7000}
traffic:
  old: {rate: 10, queries: [{name: q, sql: "SELECT 1"}]}
migration:
  steps: [{name: s, sql: "SELECT 1"}]
`

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// execClosed runs sql on a connection it closes, and waits until the
// server has ended its session: the commands refuse a database with other
// sessions.
func execClosed(t *testing.T, dsn, sql string) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(context.Background(), sql)
	conn.Close(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	waitNoSessions(t, dsn)
}

// waitNoSessions polls, from the server's own database, until dsn's
// database has no client session left (a closed connection's backend
// exits a moment after the client has gone).
func waitNoSessions(t *testing.T, dsn string) {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	conn := pgtest.Connect(t, pgtest.ServerDSN(t))
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = $1 AND backend_type = 'client backend'`, cfg.Database).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions still on %s", n, cfg.Database)
		}
		time.Sleep(10 * time.Millisecond) // polling an observable condition
	}
}

// scanClosed runs a one-row query on a connection it closes at once.
func scanClosed(t *testing.T, dsn, sql string, dest ...any) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	err = conn.QueryRow(context.Background(), sql).Scan(dest...)
	conn.Close(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	waitNoSessions(t, dsn)
}

func countRows(t *testing.T, dsn, table string) int64 {
	t.Helper()
	var n int64
	scanClosed(t, dsn, "SELECT count(*) FROM "+table, &n)
	return n
}

func TestDatagenCommand(t *testing.T) {
	path := writeFile(t, t.TempDir(), "s.yaml", datagenScenario)
	dsn := pgtest.NewDB(t)

	code, _, errOut := run(t, "datagen", path, "--dsn", dsn)
	if code != exitCannotRun || !strings.Contains(errOut, "--disposable") {
		t.Errorf("without --disposable: exit %d, %q", code, errOut)
	}
	code, _, errOut = run(t, "datagen", path, "--dsn", dsn, "--disposable")
	if code != exitCannotRun || !strings.Contains(errOut, "apply the scenario's schema first") {
		t.Errorf("without the schema: exit %d, %q", code, errOut)
	}

	execClosed(t, dsn, `CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, email text UNIQUE);
		CREATE TABLE orders (id bigserial PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id), total numeric(10,2));`)
	code, out, errOut := run(t, "datagen", path, "--dsn", dsn, "--disposable", "-q")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"users", "3,000", "orders", "7,000", "total", "10,000", "rows/s"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if errOut != "" {
		t.Errorf("-q printed progress: %q", errOut)
	}
	if u, o := countRows(t, dsn, "users"), countRows(t, dsn, "orders"); u != 3000 || o != 7000 {
		t.Errorf("loaded %d users and %d orders", u, o)
	}
	var valid bool
	scanClosed(t, dsn, "SELECT bool_and(convalidated) FROM pg_constraint WHERE conrelid IN ('users'::regclass, 'orders'::regclass)", &valid)
	if !valid {
		t.Error("constraints not valid after the load")
	}

	code, _, errOut = run(t, "datagen", path, "--dsn", dsn, "--disposable", "-q")
	if code != exitCannotRun || !strings.Contains(errOut, "already have rows") {
		t.Errorf("into filled tables: exit %d, %q", code, errOut)
	}
	if code, out, errOut := run(t, "datagen", path, "--dsn", dsn, "--disposable", "--force-nonempty", "-q", "--seed", "2"); code != 0 {
		t.Errorf("--force-nonempty: exit %d\n%s\n%s", code, out, errOut)
	}
	if u := countRows(t, dsn, "users"); u != 6000 {
		t.Errorf("after a second load with --force-nonempty: %d users, want 6000", u)
	}
}

// TestProfileCommand profiles a database, checks that the profile holds
// values only with --with-values, and loads a scenario that uses it.
func TestProfileCommand(t *testing.T) {
	source := pgtest.NewDB(t)
	pgtest.Exec(t, source, `CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, email text UNIQUE);
		CREATE TABLE orders (id bigserial PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id), total numeric(10,2));
		INSERT INTO users (name, email) SELECT 'secret name ' || i, 'person' || i || '@example.com' FROM generate_series(1, 2000) i;
		INSERT INTO orders (user_id, total) SELECT 1 + i % 2000, CASE WHEN i % 4 = 0 THEN NULL ELSE i % 100 END FROM generate_series(1, 6000) i;
		ANALYZE users; ANALYZE orders;`)
	dir := t.TempDir()
	profile := filepath.Join(dir, "profile.json")
	code, _, errOut := run(t, "profile", "--dsn", source, "--tables", "users,orders", "-o", profile)
	if code != 0 || !strings.Contains(errOut, "profiled 2 tables") || !strings.Contains(errOut, "no values") {
		t.Fatalf("profile: exit %d, %q", code, errOut)
	}
	raw, _ := os.ReadFile(profile)
	if strings.Contains(string(raw), "secret name") || strings.Contains(string(raw), "most_common_vals") {
		t.Errorf("the profile holds values without --with-values:\n%s", raw)
	}
	code, out, _ := run(t, "profile", "--dsn", source, "--tables", "users", "--with-values")
	if code != 0 || !strings.Contains(out, "histogram_bounds") {
		t.Errorf("--with-values: exit %d, no values in:\n%s", code, out)
	}
	if code, _, errOut := run(t, "profile", "--dsn", source, "--tables", "nope"); code != exitCannotRun || !strings.Contains(errOut, "no table nope") {
		t.Errorf("unknown table: exit %d, %q", code, errOut)
	}

	scenario := strings.Replace(datagenScenario, `  tables:
    users: {rows: 3000, columns: {name: {gen: name}}}
    orders: {rows: 7000}`, `  profile: profile.json
  scale: 0.5`, 1)
	path := writeFile(t, dir, "s.yaml", scenario)
	if code, out, errOut := run(t, "validate", path); code != 0 || !strings.Contains(out, "2 tables") {
		t.Fatalf("validate: exit %d\n%s%s", code, out, errOut)
	}
	target := pgtest.NewDB(t)
	execClosed(t, target, `CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, email text UNIQUE);
		CREATE TABLE orders (id bigserial PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id), total numeric(10,2));`)
	if code, out, errOut := run(t, "datagen", path, "--dsn", target, "--disposable", "-q"); code != 0 {
		t.Fatalf("datagen from the profile: exit %d\n%s\n%s", code, out, errOut)
	}
	var users, orders, nulls int64
	scanClosed(t, target, "SELECT (SELECT count(*) FROM users), count(*), count(*) FILTER (WHERE total IS NULL) FROM orders", &users, &orders, &nulls)
	if users != 1000 || orders != 3000 || nulls != 750 {
		t.Errorf("from the profile at scale 0.5: %d users, %d orders, %d without total; want 1000, 3000, 750", users, orders, nulls)
	}
}
