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
