package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rehearse/rehearse/internal/pgtest"
	"github.com/rehearse/rehearse/result"
)

const migrationsTestdata = "../../scenarios/migrations/testdata"

// findingLine is the first line of a finding in the text output:
// FILE:LINE:COL: severity: message [rule]; the rest of it is indented.
var findingLine = regexp.MustCompile(`^[^: ]+:\d+:\d+: (info|warning|error): \S.* \[[a-z-]+\]$`)

func TestLintExitCodes(t *testing.T) {
	tmp := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(tmp, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	clean := filepath.Join(migrationsTestdata, "goose", "20240215080000_index_accounts_email.sql")
	info := write("1_default.sql", "SET lock_timeout = '1s';\nALTER TABLE t ADD COLUMN c text DEFAULT make_code();\n")
	tests := []struct {
		args []string
		code int
	}{
		{[]string{"lint", filepath.Join(migrationsTestdata, "goose")}, exitFail},
		{[]string{"lint", filepath.Join(migrationsTestdata, "flyway")}, exitPass},
		{[]string{"lint", "--fail-on", "warning", filepath.Join(migrationsTestdata, "flyway")}, exitFail},
		{[]string{"lint", clean}, exitPass},
		{[]string{"lint", "--fail-on", "info", clean}, exitPass},
		{[]string{"lint", info}, exitPass},
		{[]string{"lint", "--fail-on", "warning", info}, exitPass},
		{[]string{"lint", "--fail-on", "info", info}, exitFail},
		{[]string{"lint", "../../scenarios/examples/golang-migrate.yaml"}, exitFail},
		{[]string{"lint", "../../scenarios/examples/rename-column.yaml"}, exitPass},
		{[]string{"lint", filepath.Join(tmp, "missing.sql")}, exitCannotRun},
		{[]string{"lint", write("notes.txt", "x")}, exitCannotRun},
		{[]string{"lint", write("2_bad.sql", "ALTER TABLE t ADD COLUMN;\n")}, exitCannotRun},
		{[]string{"lint", "testdata/typo.yaml"}, exitCannotRun},
		// Bad input wins over findings in the other arguments.
		{[]string{"lint", filepath.Join(migrationsTestdata, "goose"), filepath.Join(tmp, "missing.sql")}, exitCannotRun},
		{[]string{"lint", "--format", "xml", clean}, exitCannotRun},
		{[]string{"lint", "--fail-on", "fatal", clean}, exitCannotRun},
		{[]string{"lint"}, exitCannotRun},
	}
	for _, tc := range tests {
		code, out, errOut := run(t, tc.args...)
		if code != tc.code {
			t.Errorf("%v: exit %d, want %d\nstdout: %s\nstderr: %s", tc.args, code, tc.code, out, errOut)
		}
	}
}

func TestLintTextOutput(t *testing.T) {
	code, out, errOut := run(t, "lint", filepath.Join(migrationsTestdata, "goose"), "../../scenarios/examples/golang-migrate.yaml")
	if code != exitFail {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for _, line := range lines {
		if !findingLine.MatchString(line) && !strings.HasPrefix(line, "    ") {
			t.Errorf("line %q is neither FILE:LINE:COL: severity: message [rule] nor a continuation", line)
		}
	}
	want := []string{
		filepath.Join(migrationsTestdata, "goose", "20240301100000_require_accounts_plan.sql") + ":6:1: error: SET NOT NULL on accounts.plan",
		"../../scenarios/examples/migrations/golang-migrate/000005_add_users_api_token.up.sql:4:1: error: ADD COLUMN api_token",
	}
	for _, w := range want {
		if !strings.Contains(out, "\n"+w) && !strings.HasPrefix(out, w) {
			t.Errorf("output lacks a line starting %q:\n%s", w, out)
		}
	}
	if !strings.Contains(errOut, "6 findings: 2 errors, 4 warnings") {
		t.Errorf("stderr %q, want the count", errOut)
	}
}

func TestLintJSONOutput(t *testing.T) {
	code, out, errOut := run(t, "lint", "--format", "json", filepath.Join(migrationsTestdata, "golang-migrate"))
	if code != exitFail {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct {
		Findings []result.LintFinding `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var found bool
	for _, f := range doc.Findings {
		if f.Rule == "add-column-volatile-default" {
			found = true
			if f.Severity != "error" || f.Step != "000004_add_users_api_token" || f.Line != 3 || f.Relation != "users" ||
				f.Lock != "AccessExclusiveLock" || f.Safe == "" || !strings.Contains(f.Statement, "gen_random_uuid()") {
				t.Errorf("finding %+v", f)
			}
		}
	}
	if !found {
		t.Errorf("no add-column-volatile-default finding in %s", out)
	}

	code, out, _ = run(t, "lint", "--format", "json", filepath.Join(migrationsTestdata, "goose", "20240215080000_index_accounts_email.sql"))
	if code != exitPass || strings.TrimSpace(out) != `{
  "findings": [],
  "suppressed": []
}` {
		t.Errorf("clean file: exit %d, output %q, want 0 and an empty list", code, out)
	}
}

func TestLintBadInputNamesTheLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "00001_x.sql")
	if err := os.WriteFile(path, []byte("-- +goose Up\nDO $$\nBEGIN\n  PERFORM 1;\nEND\n$$;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run(t, "lint", dir)
	if code != exitCannotRun || !strings.Contains(errOut, path+":2:1: goose would end this statement at line 4") {
		t.Errorf("exit %d, stderr %q; want 2 naming %s:2:1", code, errOut, path)
	}
}

// --pg-version judges what that server does; --enable turns style rules on.
func TestLintVersionAndEnable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "1_default.sql")
	if err := os.WriteFile(path, []byte("SET lock_timeout = '1s';\nALTER TABLE t ADD COLUMN c integer NOT NULL DEFAULT 0;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		code int
		rule string
	}{
		{[]string{"lint", "--pg-version", "10", path}, exitFail, "add-column-volatile-default"},
		{[]string{"lint", "--pg-version", "11", path}, exitPass, ""},
		{[]string{"lint", "--fail-on", "info", path}, exitPass, ""},
		{[]string{"lint", "--fail-on", "info", "--enable", "prefer-bigint", path}, exitFail, "prefer-bigint"},
		{[]string{"lint", "--enable", "no-such-rule", path}, exitCannotRun, ""},
	}
	for _, tc := range tests {
		code, out, errOut := run(t, tc.args...)
		if code != tc.code || !strings.Contains(out, tc.rule) {
			t.Errorf("%v: exit %d, want %d with %q\nstdout: %s\nstderr: %s", tc.args, code, tc.code, tc.rule, out, errOut)
		}
	}
}

// With a profile, a rewrite of a small table is info, of a large one an
// error; without one, stderr says that sizes are unknown.
func TestLintSizesFromProfile(t *testing.T) {
	tmp := t.TempDir()
	sqlPath := filepath.Join(tmp, "1_widen.sql")
	if err := os.WriteFile(sqlPath, []byte("SET lock_timeout = '1s';\nALTER TABLE small ALTER COLUMN n TYPE bigint;\nALTER TABLE big ALTER COLUMN n TYPE bigint;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	prof := filepath.Join(tmp, "profile.json")
	if err := os.WriteFile(prof, []byte(`{"rehearse_profile": 1, "created_at": "2026-12-01T00:00:00Z", "with_values": false,
  "tables": [{"name": "small", "rows": 1000, "pages": 10, "block_size": 8192}, {"name": "big", "rows": 50000000, "pages": 900000, "block_size": 8192}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, out, errOut := run(t, "lint", "-f", "gcc", "--profile", prof, sqlPath)
	if !strings.Contains(out, ": note: ALTER COLUMN n TYPE bigint rewrites small") ||
		!strings.Contains(out, ": error: ALTER COLUMN n TYPE bigint rewrites big") || !strings.Contains(out, "50,000,000 rows") {
		t.Errorf("stdout:\n%s", out)
	}
	if strings.Contains(errOut, "sizes unknown") {
		t.Errorf("stderr says sizes are unknown with a profile: %s", errOut)
	}
	if _, _, errOut := run(t, "lint", sqlPath); !strings.Contains(errOut, "table sizes unknown") {
		t.Errorf("stderr without a profile: %s", errOut)
	}
}

// --dsn reads the sizes from the database's statistics.
func TestLintSizesFromDatabase(t *testing.T) {
	dsn := pgtest.NewDB(t)
	pgtest.Exec(t, dsn, "CREATE TABLE small (n integer); INSERT INTO small SELECT generate_series(1, 500); ANALYZE small")
	path := filepath.Join(t.TempDir(), "1_widen.sql")
	if err := os.WriteFile(path, []byte("SET lock_timeout = '1s';\nALTER TABLE small ALTER COLUMN n TYPE bigint;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "lint", "-f", "gcc", "--dsn", dsn, path)
	if code != exitPass || !strings.Contains(out, ": note: ALTER COLUMN n TYPE bigint") || !strings.Contains(out, "[alter-column-type]") || !strings.Contains(out, "(small: 500 rows, ") {
		t.Errorf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
}
