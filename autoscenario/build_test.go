package autoscenario

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rehearse/rehearse/scenarios"
)

// writeDir writes migration files into a new directory under root.
func writeDir(t *testing.T, root string, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(root, "migrations")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, sql := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(sql), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func build(t *testing.T, dir string, o Options) *Plan {
	t.Helper()
	if o.ScenarioPath == "" {
		o.ScenarioPath = filepath.Join(filepath.Dir(dir), "rehearse.yaml")
	}
	p, err := Build(dir, o)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return p
}

func queries(w *scenarios.Workload) map[string]*scenarios.Query {
	out := map[string]*scenarios.Query{}
	if w != nil {
		for _, q := range w.Queries {
			out[q.Name] = q
		}
	}
	return out
}

const shopSchema = `
CREATE TYPE order_state AS ENUM ('new', 'paid');
CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL UNIQUE,
    name varchar(80),
    age int CHECK (age BETWEEN 0 AND 150)
);
CREATE TABLE tags (id serial PRIMARY KEY, label text NOT NULL);
CREATE TABLE orders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id),
    state order_state NOT NULL DEFAULT 'new',
    total numeric(6, 2) NOT NULL
);
CREATE TABLE order_tags (
    order_id bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    tag_id int NOT NULL REFERENCES tags (id),
    UNIQUE (order_id, tag_id)
);
CREATE TABLE audit (at timestamptz NOT NULL, note text);
CREATE INDEX orders_state_idx ON orders (state);
CREATE TABLE settings (k text PRIMARY KEY, v text);
`

func TestInfersOldCodeTrafficFromTheBaseline(t *testing.T) {
	dir := writeDir(t, t.TempDir(), map[string]string{
		"001_shop.sql":  shopSchema,
		"002_audit.sql": "INSERT INTO audit (at) VALUES (now());",
		"003_drop.sql":  "ALTER TABLE orders DROP COLUMN total;\nALTER TABLE order_tags ADD COLUMN weight int;\nCREATE INDEX ON audit (at);",
	})
	p := build(t, dir, Options{Rows: 1000})
	if got := strings.Join(p.Pending, ","); got != "003_drop" {
		t.Fatalf("pending %s, want the last file", got)
	}
	if got := strings.Join(p.Touched, ","); got != "audit,order_tags,orders" {
		t.Errorf("touched %s", got)
	}
	sc := p.Scenario
	for table, want := range map[string]int64{"orders": 1000, "order_tags": 1000, "audit": 1000, "users": 100, "tags": 100, "settings": 10} {
		if got := int64(sc.Data.Tables[table].Rows); got != want {
			t.Errorf("%s rows %d, want %d", table, got, want)
		}
	}
	old := queries(sc.Traffic.Old)
	for name, sql := range map[string]string{
		"orders.get":             "SELECT id, user_id, state, total FROM orders WHERE id = $1",
		"orders.get_star":        "SELECT * FROM orders WHERE id = $1",
		"orders.insert":          "INSERT INTO orders (user_id, state, total) VALUES ($1, $2, $3)",
		"orders.list_by_user_id": "SELECT id, user_id, state, total FROM orders WHERE user_id = $1 LIMIT 20",
		"orders.list_by_state":   "SELECT id, user_id, state, total FROM orders WHERE state = $1 LIMIT 20",
		"users.get":              "SELECT id, email, name, age FROM users WHERE id = $1",
		"users.insert":           "INSERT INTO users (email, name, age) VALUES ($1, $2, $3)",
		"audit.scan":             "SELECT at, note FROM audit LIMIT 20",
		"audit.insert":           "INSERT INTO audit (at, note) VALUES ($1, $2)",
	} {
		q := old[name]
		if q == nil {
			t.Errorf("no old query %s (have %v)", name, slices.Sorted(maps.Keys(old)))
			continue
		}
		if q.SQL != sql {
			t.Errorf("%s: %q, want %q", name, q.SQL, sql)
		}
	}
	// A delete of orders would be refused by nothing (order_tags cascades);
	// one of users by orders' reference.
	if old["orders.delete"] == nil || old["users.delete"] != nil {
		t.Errorf("deletes: orders %v, users %v; want orders only", old["orders.delete"] != nil, old["users.delete"] != nil)
	}
	// email is unique: a fresh value; age has a CHECK: a loaded value.
	ins := old["users.insert"]
	if ins.Args[0].Gen != "uuid" || ins.Args[2].Ref != "users.age" {
		t.Errorf("users.insert args %+v %+v", ins.Args[0], ins.Args[2])
	}
	if old["orders.insert"].Args[1].Value != "new" {
		t.Errorf("enum arg %+v, want its first label", old["orders.insert"].Args[1])
	}
	// (order_id, tag_id) is a unique pair of references: no insert known
	// to be valid, and a note says so.
	if old["order_tags.insert"] != nil || !strings.Contains(strings.Join(p.Notes, "\n"), "no order_tags.insert") {
		t.Errorf("order_tags.insert %v, notes %v", old["order_tags.insert"], p.Notes)
	}
	if !strings.Contains(strings.Join(p.Notes, "\n"), "audit has no primary key") {
		t.Errorf("notes do not say audit has no key: %v", p.Notes)
	}
	// New code: order_tags gains weight in 003_drop.
	nw := sc.Traffic.New
	if nw == nil || nw.StartAfter != "003_drop" || queries(nw)["order_tags.get"] == nil {
		t.Fatalf("new workload %+v", nw)
	}
	if !strings.Contains(queries(nw)["order_tags.get"].SQL, "weight") {
		t.Errorf("new code does not read the new column: %s", queries(nw)["order_tags.get"].SQL)
	}
}

func TestOneToOneParentsGetTheChildsRows(t *testing.T) {
	dir := writeDir(t, t.TempDir(), map[string]string{
		"001_users.sql":   "CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE profiles (user_id bigint PRIMARY KEY REFERENCES users, bio text, UNIQUE (user_id));",
		"002_profile.sql": "ALTER TABLE profiles ADD COLUMN avatar text;",
	})
	p := build(t, dir, Options{Rows: 500})
	if got := p.Scenario.Data.Tables["users"].Rows; got != 500 {
		t.Errorf("users rows %d, want 500: one profile per user", got)
	}
}

func TestFromPicksTheFilesAfterAVersion(t *testing.T) {
	dir := writeDir(t, t.TempDir(), map[string]string{
		"1_a.up.sql": "CREATE TABLE a (id int PRIMARY KEY);",
		"2_b.up.sql": "CREATE TABLE b (id int PRIMARY KEY);",
		"3_c.up.sql": "ALTER TABLE a ADD COLUMN x int;",
	})
	p := build(t, dir, Options{From: "1"})
	if got := strings.Join(p.Pending, ","); got != "2_b,3_c" {
		t.Errorf("pending %s", got)
	}
	if got := p.Scenario.Migration.Steps; len(got) != 2 || got[0].Name != "2_b" {
		t.Errorf("steps %v", got)
	}
	for _, o := range []Options{{From: "9"}, {From: "3"}} {
		if _, err := Build(dir, o); err == nil {
			t.Errorf("--from %s: no error", o.From)
		}
	}
}

func gitRun(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

func TestSinceTakesTheBranchsFiles(t *testing.T) {
	root := t.TempDir()
	dir := writeDir(t, root, map[string]string{
		"001_users.sql": "CREATE TABLE users (id bigint PRIMARY KEY, name text);",
		"002_email.sql": "ALTER TABLE users ADD COLUMN email text;",
	})
	gitRun(t, root, "init", "-q")
	gitRun(t, root, "add", ".")
	gitRun(t, root, "commit", "-qm", "base")
	gitRun(t, root, "checkout", "-qb", "feature")
	writeDir(t, root, map[string]string{"003_idx.sql": "CREATE INDEX ON users (email);"})
	gitRun(t, root, "add", ".")
	gitRun(t, root, "commit", "-qm", "index")
	// Untracked, not yet committed: part of the branch's work too.
	writeDir(t, root, map[string]string{"004_drop.sql": "ALTER TABLE users DROP COLUMN name;"})

	p := build(t, dir, Options{Since: "main"})
	if got := strings.Join(p.Pending, ","); got != "003_idx,004_drop" {
		t.Errorf("pending %s, want the branch's two files", got)
	}
	if p.Scenario.Schema.Migrations.To != "002" {
		t.Errorf("baseline to %s, want 002", p.Scenario.Schema.Migrations.To)
	}
	for _, tc := range []struct{ since, want string }{
		{"no-such-ref", "no merge base"},
		{"HEAD", ""}, // nothing changed since HEAD but the untracked file
	} {
		_, err := Build(dir, Options{Since: tc.since, ScenarioPath: filepath.Join(root, "r.yaml")})
		if tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("--since %s: %v, want %q", tc.since, err, tc.want)
		}
	}
	outside := writeDir(t, t.TempDir(), map[string]string{"001_a.sql": "CREATE TABLE a (id int);"})
	if _, err := Build(outside, Options{Since: "main", ScenarioPath: filepath.Join(filepath.Dir(outside), "r.yaml")}); err == nil || !strings.Contains(err.Error(), "git work tree") {
		t.Errorf("outside git: %v", err)
	}
}

func TestBadDirectories(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "migrations")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	mixed := writeDir(t, t.TempDir(), map[string]string{
		"1_a.up.sql":     "CREATE TABLE a (id int);",
		"V2__b.sql":      "CREATE TABLE b (id int);",
		"20240101_c.sql": "-- +goose Up\nCREATE TABLE c (id int);",
	})
	broken := writeDir(t, t.TempDir(), map[string]string{
		"001_a.sql": "CREATE TABLE a (id int PRIMARY KEY);\nCREATE TABLEX b;",
		"002_b.sql": "ALTER TABLE a ADD COLUMN x int;",
	})
	for name, tc := range map[string]struct{ dir, want string }{
		"empty":  {empty, "no"},
		"mixed":  {mixed, ""},
		"broken": {broken, "001_a.sql:2"},
	} {
		_, err := Build(tc.dir, Options{ScenarioPath: filepath.Join(filepath.Dir(tc.dir), "r.yaml")})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", name, err, tc.want)
		}
	}
}

func TestYAMLLoadsAsTheSameScenario(t *testing.T) {
	dir := writeDir(t, t.TempDir(), map[string]string{
		"001_shop.sql": shopSchema,
		"002_add.sql":  "ALTER TABLE users ADD COLUMN nick text;\nCREATE TABLE notes (id bigserial PRIMARY KEY, user_id bigint REFERENCES users, body text NOT NULL);",
	})
	p := build(t, dir, Options{Rows: 300})
	text := p.YAML("rehearse init migrations")
	loaded, err := scenarios.Parse(text, p.Scenario.Path)
	if err != nil {
		t.Fatalf("the written scenario does not load: %v\n%s", err, text)
	}
	for _, part := range []struct {
		name      string
		got, want any
	}{
		{"data", loaded.Data, p.Scenario.Data},
		{"traffic", loaded.Traffic, p.Scenario.Traffic},
		{"thresholds", loaded.Thresholds, p.Scenario.Thresholds},
		{"phases", loaded.Phases, p.Scenario.Phases},
		{"steps", stepNames(loaded), stepNames(p.Scenario)},
		{"name", loaded.Name, p.Scenario.Name},
	} {
		if g, w := jsonOf(t, part.got), jsonOf(t, part.want); g != w {
			t.Errorf("%s differs after a round trip:\n got %s\nwant %s", part.name, g, w)
		}
	}
}

// A Flyway repeatable the branch changed: the baseline has it as at the
// merge base, the migration applies it again after the versioned files.
func TestSinceChangedRepeatable(t *testing.T) {
	root := t.TempDir()
	dir := writeDir(t, root, map[string]string{
		"V1__users.sql":   "CREATE TABLE users (id bigint PRIMARY KEY, name text);",
		"R__users_v.sql":  "CREATE OR REPLACE VIEW users_v AS SELECT id FROM users;",
		"V2__reserve.sql": "CREATE TABLE reserve (id bigint PRIMARY KEY);",
	})
	gitRun(t, root, "init", "-q")
	gitRun(t, root, "add", ".")
	gitRun(t, root, "commit", "-qm", "base")
	gitRun(t, root, "checkout", "-qb", "feature")
	writeDir(t, root, map[string]string{
		"V3__email.sql":  "ALTER TABLE users ADD COLUMN email text;",
		"R__users_v.sql": "CREATE OR REPLACE VIEW users_v AS SELECT id, email FROM users;",
	})
	p := build(t, dir, Options{Since: "main"})
	if got := strings.Join(p.Pending, ","); got != "V3__email,R__users_v" {
		t.Errorf("pending %s, want V3__email,R__users_v", got)
	}
	if got := strings.Join(stepNames(p.Scenario), ","); got != "V3__email,R__users_v" {
		t.Errorf("steps %s, want the repeatable after the versioned file", got)
	}
	if strings.Contains(p.Scenario.SchemaSQL, "id, email") || !strings.Contains(p.Scenario.SchemaSQL, "SELECT id FROM users") {
		t.Errorf("baseline's users_v is not the merge base's:\n%s", p.Scenario.SchemaSQL)
	}
	if !strings.Contains(strings.Join(p.Notes, "\n"), "as it was there") {
		t.Errorf("notes do not say which text of the repeatable is used: %v", p.Notes)
	}
}
