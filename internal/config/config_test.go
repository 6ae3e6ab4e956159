package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFindWalksUp(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, FileName), `
lint:
  exclude_rules: [missing-lock-timeout]
  exclude_paths: ["db/legacy", "**/*_seed.sql"]
postgres: {version: 15}
migration_session: {lock_timeout: 2s, statement_timeout: 1m}
`)
	deep := filepath.Join(root, "db", "migrations", "sub")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	c, err := Find(deep)
	if err != nil {
		t.Fatal(err)
	}
	if c.Path != filepath.Join(root, FileName) {
		t.Errorf("found %q", c.Path)
	}
	if c.PostgresMajor() != 15 || c.MigrationSession.LockTimeout.D() != 2*time.Second || c.MigrationSession.StatementTimeout.D() != time.Minute {
		t.Errorf("read %+v", c)
	}
	for file, want := range map[string]bool{
		filepath.Join(root, "db/legacy/0001.sql"):       true,
		filepath.Join(root, "db/migrations/1_seed.sql"): true,
		filepath.Join(root, "db/migrations/1_init.sql"): false,
		filepath.Join(t.TempDir(), "db/legacy/x.sql"):   false, // outside the config's tree
	} {
		if got := c.ExcludedPath(file); got != want {
			t.Errorf("ExcludedPath(%s) = %v, want %v", file, got, want)
		}
	}
}

func TestFindNearestWins(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, FileName), "postgres: {version: '14'}\n")
	write(t, filepath.Join(root, "svc", FileName), "postgres: {version: '16'}\n")
	c, err := Find(filepath.Join(root, "svc"))
	if err != nil || c.PostgresMajor() != 16 {
		t.Fatalf("got %+v, %v; want version 16 from svc/", c, err)
	}
}

func TestFindNone(t *testing.T) {
	c, err := Find(t.TempDir())
	if err != nil || c.Path != "" || c.ExcludedPath("x.sql") {
		t.Fatalf("got %+v, %v; want the zero config", c, err)
	}
}

func TestLoadRejectsBadInput(t *testing.T) {
	for text, want := range map[string]string{
		"lint: {exclude_rule: [x]}\n":          "exclude_rule",
		"postgres: {version: banana}\n":        "postgres.version",
		"migration_session: {lock_timeout: 2}": "",
		"lint: {exclude_paths: ['a[']}\n":      "bad pattern",
	} {
		path := filepath.Join(t.TempDir(), FileName)
		write(t, path, text)
		_, err := Load(path)
		if want == "" {
			continue // accepted or not, it must not panic
		}
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%q: error %v, want one naming the file and %q", text, err, want)
		}
	}
}
