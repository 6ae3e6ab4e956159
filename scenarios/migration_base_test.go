package scenarios

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func gitAt(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@t"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

const baseScenario = `name: pull request
schema:
  migrations: {dir: db, to: base}
traffic:
  old:
    rate: 10
    queries:
      - {name: get, sql: "SELECT id FROM users WHERE id = $1", args: [{value: 1}]}
migration:
  migrations: {from: base}
`

// baseRepo is a repository whose branch has two migrations, and whose
// work tree, on a branch off it, adds a third.
func baseRepo(t *testing.T, branch string) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"db/001_users.sql": "CREATE TABLE users (id bigint PRIMARY KEY);",
		"db/002_name.sql":  "ALTER TABLE users ADD COLUMN name text;",
		"rehearse.yaml":    baseScenario,
	}
	for name, text := range files {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gitAt(t, root, "init", "-q", "-b", branch)
	gitAt(t, root, "add", ".")
	gitAt(t, root, "commit", "-qm", "history")
	gitAt(t, root, "checkout", "-qb", "feature")
	if err := os.WriteFile(filepath.Join(root, "db", "003_email.sql"), []byte("ALTER TABLE users ADD COLUMN email text;"), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// `to: base` / `from: base` cut the directory where --since would: the
// branch's file is the migration, the history the baseline.
func TestMigrationBaseIsTheSinceCut(t *testing.T) {
	root := baseRepo(t, "main")
	path := filepath.Join(root, "rehearse.yaml")
	for _, since := range []string{"main", ""} { // "" finds main itself
		s, err := LoadSince(path, since)
		if err != nil {
			t.Fatalf("since %q: %v", since, err)
		}
		eq(t, "baseline", stepSummary(s.Baseline), "001_users, 002_name")
		eq(t, "steps", stepSummary(s.Migration.Steps), "003_email")
		eq(t, "to", string(s.Schema.Migrations.To), "002")
	}
	// Since HEAD with the new file committed: nothing changed.
	gitAt(t, root, "add", ".")
	gitAt(t, root, "commit", "-qm", "email")
	_, err := LoadSince(path, "HEAD")
	if err == nil || !strings.Contains(err.Error(), "no file of") || !strings.Contains(err.Error(), "since the merge base with HEAD") {
		t.Errorf("nothing changed since HEAD: %v", err)
	}
	_, err = LoadSince(path, "nosuchref")
	if err == nil || !strings.Contains(err.Error(), "schema.migrations.to: base (files changed since nosuchref)") {
		t.Errorf("unknown ref: %v", err)
	}
}

func TestMigrationBaseNeedsARef(t *testing.T) {
	root := baseRepo(t, "trunk")
	_, err := Load(filepath.Join(root, "rehearse.yaml"))
	if err == nil || !strings.Contains(err.Error(), "neither origin/main nor main exists") || !strings.Contains(err.Error(), "--since REF") {
		t.Fatalf("no main branch: %v", err)
	}
	s, err := LoadSince(filepath.Join(root, "rehearse.yaml"), "trunk")
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "steps", stepSummary(s.Migration.Steps), "003_email")
}

// base is a baseline version: it means nothing as the last version of
// the migration.
func TestMigrationBaseOnlyWhereABaselineIs(t *testing.T) {
	root := baseRepo(t, "main")
	text := strings.Replace(baseScenario, "{from: base}", "{to: base}", 1)
	_, err := ParseSince([]byte(text), filepath.Join(root, "rehearse.yaml"), "main")
	if err == nil || !strings.Contains(err.Error(), `migration.migrations.to: "base" is not a version`) {
		t.Fatalf("to: base in migration.migrations: %v", err)
	}
}

// A Flyway repeatable changed on the branch is in the baseline as it was
// at the merge base, and runs again after the branch's versioned files;
// one the branch adds is in the migration only.
func TestMigrationBaseRepeatables(t *testing.T) {
	root := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("db/V1__users.sql", "CREATE TABLE users (id bigint PRIMARY KEY);")
	write("db/R__users_view.sql", "CREATE OR REPLACE VIEW users_v AS SELECT id FROM users;")
	write("db/R__same.sql", "CREATE OR REPLACE VIEW same_v AS SELECT 1 AS one;")
	write("rehearse.yaml", strings.Replace(baseScenario, "dir: db,", "dir: db, format: flyway,", 1))
	gitAt(t, root, "init", "-q", "-b", "main")
	gitAt(t, root, "add", ".")
	gitAt(t, root, "commit", "-qm", "history")
	gitAt(t, root, "checkout", "-qb", "feature")
	write("db/V2__name.sql", "ALTER TABLE users ADD COLUMN name text;")
	write("db/R__users_view.sql", "CREATE OR REPLACE VIEW users_v AS SELECT id, name FROM users;")
	write("db/R__new.sql", "CREATE OR REPLACE VIEW new_v AS SELECT name FROM users;")

	s, err := LoadSince(filepath.Join(root, "rehearse.yaml"), "main")
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "baseline", stepSummary(s.Baseline), "V1__users, R__same, R__users_view")
	eq(t, "steps", stepSummary(s.Migration.Steps), "V2__name, R__new, R__users_view")
	if !strings.Contains(s.SchemaSQL, "SELECT id FROM users") || strings.Contains(s.SchemaSQL, "id, name") {
		t.Errorf("baseline's users_v is not the merge base's:\n%s", s.SchemaSQL)
	}
}
