package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rehearse/rehearse/result"
)

// Zero-config rehearsals: `rehearse DIR` with tiny --rows and one-second
// phases, on the local provider.
// tiny rehearses quickly. A run the race detector's slowdown starves ends
// invalid, and is rerun, as a nightly job would.
var tiny = []string{"--provider", "local", "--rows", "3000", "--phase", "1s", "-q", "--retry-invalid", "2"}

func runDirTest(t *testing.T, want int, args ...string) *result.Result {
	t.Helper()
	path := filepath.Join(t.TempDir(), "r.json")
	// The test's own flags come after tiny's, so that they win.
	code, out, errOut := run(t, append(append(append([]string{}, tiny...), args...), "--json", path)...)
	if code != want {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, want, out, errOut)
	}
	return readResult(t, path)
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func checkFailed(res *result.Result, name string) bool {
	for _, c := range res.Verdict.Checks {
		if c.Name == name && !c.Pass {
			return true
		}
	}
	return false
}

func hasQuery(res *result.Result, workload, query string) bool {
	for _, w := range res.Workloads {
		for _, q := range w.Queries {
			if w.Name == workload && q.Name == query && q.Count > 0 {
				return true
			}
		}
	}
	return false
}

func TestDirGolangMigrateExample(t *testing.T) {
	res := runDirTest(t, exitFail, "../../scenarios/examples/migrations/golang-migrate")
	if len(res.Steps) != 1 || res.Steps[0].Name != "000005_add_users_api_token" {
		t.Fatalf("steps %+v, want the last file alone", res.Steps)
	}
	if strings.Join(res.Steps[0].Rewrote, ",") != "users" || !checkFailed(res, "forbid rewrite") {
		t.Errorf("the volatile default's rewrite of users is not a failed check: rewrote %v, checks %+v", res.Steps[0].Rewrote, res.Verdict.Checks)
	}
	for _, q := range []string{"users.get", "users.update", "orders.list_by_user_id"} {
		if !hasQuery(res, "old", q) {
			t.Errorf("old-code query %s did not run", q)
		}
	}
	if !hasQuery(res, "new", "users.get") {
		t.Errorf("new code reading api_token did not run after the step")
	}
	if res.Inferred == nil || strings.Join(res.Inferred.Pending, ",") != "000005_add_users_api_token" || len(res.Inferred.Queries) == 0 {
		t.Errorf("the result does not say what was inferred: %+v", res.Inferred)
	}
	if !strings.Contains(strings.Join(res.Inferred.DefaultChecks, ","), "max_lock_wait") {
		t.Errorf("max_lock_wait is not listed as a default: %v", res.Inferred.DefaultChecks)
	}
	if len(res.Data.Tables) != 2 {
		t.Errorf("data %+v, want users and orders loaded", res.Data)
	}
}

func TestDirGooseExample(t *testing.T) {
	res := runDirTest(t, exitFail, "../../scenarios/examples/migrations/goose")
	if len(res.Steps) != 1 || res.Steps[0].Name != "20240305160000_require_invoice_currency" || res.Status != result.StatusCompleted {
		t.Fatalf("status %s, steps %+v", res.Status, res.Steps)
	}
	if !checkFailed(res, "forbid scan_under_write_lock") {
		t.Errorf("SET NOT NULL's scan of invoices under ACCESS EXCLUSIVE is not a failed check: %+v", res.Verdict.Checks)
	}
}

func gitIn(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// The pull-request case: the branch drops a column old code reads. The
// baseline also alters golang-migrate's own table, which must exist.
func TestDirSinceDropColumnBreaksOldCode(t *testing.T) {
	repo := t.TempDir()
	dir := filepath.Join(repo, "db", "migrations")
	writeFiles(t, dir, map[string]string{
		"000001_users.up.sql":   "CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text, email text NOT NULL);",
		"000001_users.down.sql": "DROP TABLE users;",
		"000002_note.up.sql":    "ALTER TABLE schema_migrations ADD COLUMN note text;",
	})
	gitIn(t, repo, "init", "-q")
	gitIn(t, repo, "add", ".")
	gitIn(t, repo, "commit", "-qm", "base")
	gitIn(t, repo, "checkout", "-qb", "drop-name")
	writeFiles(t, dir, map[string]string{"000003_drop_name.up.sql": "ALTER TABLE users DROP COLUMN name;"})
	gitIn(t, repo, "add", ".")
	gitIn(t, repo, "commit", "-qm", "drop name")

	// Lint with --since: history is context, only the branch's file has findings.
	_, all, _ := run(t, "lint", dir, "--fail-on", "info")
	_, branch, _ := run(t, "lint", dir, "--since", "main", "--fail-on", "info")
	if !strings.Contains(all, "000002_note") || strings.Contains(branch, "000002_note") || !strings.Contains(branch, "000003_drop_name") {
		t.Errorf("lint of the whole directory:\n%s\nlint --since main:\n%s\nwant 000002 only in the first, 000003 in the second", all, branch)
	}

	res := runDirTest(t, exitFail, dir, "--since", "main")
	if len(res.Steps) != 1 || res.Steps[0].Name != "000003_drop_name" {
		t.Fatalf("steps %+v, want the branch's file", res.Steps)
	}
	broken := false
	for _, c := range res.Compatibility {
		broken = broken || c.Workload == "old" && c.Query == "users.get" && c.AfterStep == "000003_drop_name" && !c.OK && c.SQLState == "42703" && c.Running
	}
	if !broken {
		t.Errorf("old users.get is not shown breaking after 000003_drop_name with 42703: %+v", res.Compatibility)
	}
	if !strings.Contains(strings.Join(res.Verdict.Reasons, "\n"), "users.get after 000003_drop_name") {
		t.Errorf("reasons %v do not name the query and the file", res.Verdict.Reasons)
	}
}

func TestDirCreateIndexShowsWriteWaits(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "migrations")
	writeFiles(t, dir, map[string]string{
		"001_items.sql": "CREATE TABLE items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, qty int NOT NULL);",
		"002_index.sql": "CREATE INDEX items_name_idx ON items (name);",
	})
	res := runDirTest(t, exitFail, dir, "--rows", "300000")
	if !checkFailed(res, "forbid scan_under_write_lock") {
		t.Errorf("CREATE INDEX's scan under SHARE is not a failed check: %+v", res.Verdict.Checks)
	}
	writes := 0
	for _, e := range res.LockWaits.Events {
		// The blocker is the migration's session; what it shows as its
		// statement can be the harness's lock-trace query run at the end of
		// the step, so only the relation and the mode are asserted.
		if e.Relation == "items" && e.Mode == "RowExclusiveLock" {
			writes++
		}
	}
	if writes == 0 {
		t.Errorf("no write waited for CREATE INDEX: %+v", res.LockWaits.Events)
	}
}

func TestDirBadInputs(t *testing.T) {
	root := t.TempDir()
	empty := filepath.Join(root, "empty")
	writeFiles(t, empty, nil)
	badBase := filepath.Join(root, "badbase")
	writeFiles(t, badBase, map[string]string{
		"001_a.sql": "CREATE TABLE a (id int PRIMARY KEY);\nINSERT INTO nope VALUES (1);",
		"002_b.sql": "ALTER TABLE a ADD COLUMN x int;",
	})
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{empty}, "no migration files (.sql) found"},
		{[]string{badBase}, "001_a.sql:2:13: relation \"nope\" does not exist (SQLSTATE 42P01)"},
		{[]string{badBase, "--since", "main"}, "git work tree"},
		{[]string{badBase, "--from", "7"}, "no migration of version 7"},
		{[]string{"testdata/pass.yaml", "--rows", "5"}, "--rows, --phase apply to a migration directory"},
	} {
		code, _, errOut := run(t, append(tc.args, tiny...)...)
		if code != exitCannotRun || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
}

// A pending file that fails is that step's failure, with its SQLSTATE,
// not a crash.
func TestDirPendingFileFails(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "migrations")
	writeFiles(t, dir, map[string]string{
		"001_a.sql": "CREATE TABLE a (id int PRIMARY KEY, v text);",
		"002_b.sql": "ALTER TABLE a ADD COLUMN x no_such_type;",
	})
	res := runDirTest(t, exitFail, dir)
	if len(res.Steps) != 1 || res.Steps[0].SQLState != "42704" {
		t.Errorf("steps %+v, want 002_b failing with 42704", res.Steps)
	}
}

// init writes the scenario `rehearse DIR` runs: it validates, and running
// it gives the same steps, queries and checks.
func TestInitRoundTrip(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "migrations")
	src := "../../scenarios/examples/migrations/golang-migrate"
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = string(b)
	}
	writeFiles(t, dir, files)
	out := filepath.Join(root, "rehearse.yaml")
	if code, _, errOut := run(t, "init", dir, "-o", out, "--rows", "3000", "--phase", "1s"); code != 0 {
		t.Fatalf("init: exit %d: %s", code, errOut)
	}
	if code, _, errOut := run(t, "init", dir, "-o", out); code != exitCannotRun || !strings.Contains(errOut, "--force") {
		t.Errorf("init over an existing file: exit %d, %s", code, errOut)
	}
	if code, stdout, errOut := run(t, "validate", out); code != 0 {
		t.Fatalf("validate: exit %d: %s %s", code, stdout, errOut)
	}
	fromDir := runDirTest(t, exitFail, dir)
	path := filepath.Join(t.TempDir(), "r.json")
	if code, _, errOut := run(t, out, "--provider", "local", "-q", "--retry-invalid", "2", "--json", path); code != exitFail {
		t.Fatalf("run the written scenario: exit %d: %s", code, errOut)
	}
	fromFile := readResult(t, path)
	for _, part := range []struct {
		name      string
		got, want string
	}{
		{"steps", stepList(fromFile), stepList(fromDir)},
		{"queries", queryList(fromFile), queryList(fromDir)},
		{"checks", checkList(fromFile), checkList(fromDir)},
		{"tables", tableList(fromFile), tableList(fromDir)},
	} {
		if part.got != part.want {
			t.Errorf("%s: the written scenario gives %s, rehearse DIR %s", part.name, part.got, part.want)
		}
	}
}

func stepList(r *result.Result) string {
	var out []string
	for _, s := range r.Steps {
		out = append(out, s.Name)
	}
	return strings.Join(out, ",")
}

func queryList(r *result.Result) string {
	var out []string
	for _, w := range r.Workloads {
		for _, q := range w.Queries {
			out = append(out, w.Name+":"+q.Name)
		}
	}
	return strings.Join(out, ",")
}

func checkList(r *result.Result) string {
	var out []string
	for _, c := range r.Verdict.Checks {
		out = append(out, c.Name+"="+c.Limit)
	}
	return strings.Join(out, ",")
}

func tableList(r *result.Result) string {
	var out []string
	for _, t := range r.Data.Tables {
		out = append(out, t.Name+":"+itoa(t.Rows))
	}
	return strings.Join(out, ",")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// `rehearse DIR --profile` with statements: the old code sends
// production's statements, each query set beside production's figures.
func TestDirProfileStatementsAreOldTraffic(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "migrations")
	writeFiles(t, dir, map[string]string{
		"001_init.sql": "CREATE TABLE users (id bigint PRIMARY KEY, status text NOT NULL);\n" +
			"CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users);",
		"002_note.sql": "ALTER TABLE orders ADD COLUMN note text;",
	})
	writeFiles(t, root, map[string]string{"prod.json": `{"rehearse_profile": 1, "server_version": "15.18", "created_at": "2026-12-02T16:00:00Z", "with_values": false,
  "tables": [
    {"name": "users", "rows": 300, "pages": 4, "block_size": 8192, "columns": [
      {"name": "id", "type": "bigint", "null_frac": 0, "n_distinct": -1, "avg_width": 8, "correlation": 1},
      {"name": "status", "type": "text", "null_frac": 0, "n_distinct": 3, "avg_width": 5, "correlation": 0.3}]},
    {"name": "orders", "rows": 900, "pages": 8, "block_size": 8192, "columns": [
      {"name": "id", "type": "bigint", "null_frac": 0, "n_distinct": -1, "avg_width": 8, "correlation": 1},
      {"name": "user_id", "type": "bigint", "null_frac": 0, "n_distinct": 250, "avg_width": 8, "correlation": 0.02}]}],
  "statements_window": {"seconds": 60, "total_calls_per_s": 100, "covered_share": 1},
  "statements": [
    {"query": "SELECT id, status FROM users WHERE id = $1", "calls_per_s": 70, "mean_ms": 0.02, "stddev_ms": 0.01, "rows_per_call": 1},
    {"query": "SELECT id FROM orders WHERE user_id = $1 ORDER BY id DESC LIMIT $2", "calls_per_s": 30, "mean_ms": 0.06, "stddev_ms": 0.05, "rows_per_call": 3}]}`})
	res := runDirTest(t, exitPass, dir, "--profile", filepath.Join(root, "prod.json"), "--rate", "40")
	profiled := 0
	for _, w := range res.Workloads {
		for _, q := range w.Queries {
			if w.Name == "old" && q.Production != nil && q.Count > 0 {
				profiled++
			}
		}
	}
	old := 0
	for _, q := range res.Inferred.Queries {
		if q.Workload == "old" {
			old++
		}
	}
	if profiled != 2 || old != 2 {
		t.Errorf("old-code queries from the profile that ran: %d, want 2; inferred %s", profiled, queryList(res))
	}
	if !strings.Contains(strings.Join(res.Inferred.Notes, "\n"), "replace the inferred queries") {
		t.Errorf("the notes do not say the old code is the profile's: %v", res.Inferred.Notes)
	}
}

// A repository on a branch off main: db's third file is the branch's, db2
// is unchanged; a.yaml rehearses db from `base`.
func changedRepo(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	scenario := func(dir string) string {
		return "name: " + dir + "\nschema:\n  migrations: {dir: " + dir + ", to: base}\n" +
			"traffic:\n  old:\n    rate: 20\n    queries:\n      - {name: get, sql: \"SELECT id FROM users WHERE id = $1\", args: [{ref: users.id}]}\n" +
			"data:\n  tables: {users: {rows: 100}}\nphases: {baseline: 1s, cooldown: 1s}\nmigration:\n  migrations: {from: base}\n"
	}
	for _, dir := range []string{"db", "db2"} {
		writeFiles(t, filepath.Join(root, dir), map[string]string{
			"001_users.sql": "CREATE TABLE users (id bigint PRIMARY KEY);",
			"002_name.sql":  "ALTER TABLE users ADD COLUMN name text;",
		})
	}
	writeFiles(t, root, map[string]string{"a.yaml": scenario("db"), "b.yaml": scenario("db2"),
		"c.yaml": "name: inline\nschema: {sql: \"CREATE TABLE t (id int)\"}\nmigration:\n  steps: [{name: s, sql: \"ALTER TABLE t ADD COLUMN x int\"}]\n"})
	gitIn(t, root, "init", "-q")
	gitIn(t, root, "add", ".")
	gitIn(t, root, "commit", "-qm", "history")
	gitIn(t, root, "checkout", "-qb", "feature")
	writeFiles(t, filepath.Join(root, "db"), map[string]string{"003_email.sql": "ALTER TABLE users ADD COLUMN email text;"})
	return root
}

// suite --changed-since picks the scenario whose directory the branch
// changed; `rehearse FILE --since` cuts `base` where the branch starts.
func TestChangedSinceAndBase(t *testing.T) {
	root := changedRepo(t)
	code, out, errOut := run(t, "suite", "--changed-since", "main", "--list", root)
	if code != exitPass || strings.TrimSpace(out) != filepath.Join(root, "a.yaml") {
		t.Fatalf("exit %d, listed %q, want a.yaml alone\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "1 of 3 scenarios") || !strings.Contains(errOut, "b.yaml") {
		t.Errorf("stderr does not say what was skipped: %s", errOut)
	}
	outside := t.TempDir()
	writeFiles(t, filepath.Join(outside, "db"), map[string]string{"001_users.sql": "CREATE TABLE users (id bigint PRIMARY KEY);"})
	writeFiles(t, outside, map[string]string{"a.yaml": "schema:\n  migrations: {dir: db}\n"})
	if code, _, errOut := run(t, "suite", "--changed-since", "main", "--list", outside); code != exitCannotRun || !strings.Contains(errOut, "git work tree") {
		t.Errorf("outside git: exit %d, %s", code, errOut)
	}
	res := runScenarioTest(t, filepath.Join(root, "a.yaml"), "--since", "main")
	if stepList(res) != "003_email" {
		t.Errorf("steps %s, want the branch's 003_email", stepList(res))
	}
}

func runScenarioTest(t *testing.T, path string, args ...string) *result.Result {
	t.Helper()
	out := filepath.Join(t.TempDir(), "r.json")
	code, stdout, errOut := run(t, append([]string{path, "--provider", "local", "-q", "--json", out}, args...)...)
	if code != exitPass {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, errOut)
	}
	return readResult(t, out)
}
