package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var updateCLI = flag.Bool("update", false, "rewrite testdata/cli-errors.golden")

// The messages of bad command lines, all in one golden file: a change of
// wording shows in review.
func TestCLIErrorsGolden(t *testing.T) {
	cases := [][]string{
		{"valdate", "x.yaml"},
		{"lnt"},
		{"scenario-one.yaml", "scenario-two.yaml"},
		{"report"},
		{"report", "a.json", "b.json"},
		{"lint"},
		{"lint", "--format", "xml", "x.sql"},
		{"lint", "--exclude", "no-such-rule", "x.sql"},
		{"explain"},
		{"explain", "concurrent"},
		{"explain", "nothing-like-it"},
		{"validate"},
		{"suite", "x.yaml"},
	}
	var buf bytes.Buffer
	for _, args := range cases {
		code, _, errOut := run(t, args...)
		fmt.Fprintf(&buf, "$ rehearse %s\nexit %d\n%s\n", strings.Join(args, " "), code, errOut)
		if code != exitCannotRun {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	path := filepath.Join("testdata", "cli-errors.golden")
	if *updateCLI {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/rehearse -run TestCLIErrorsGolden -update)", err)
	}
	if buf.String() != string(want) {
		t.Errorf("CLI errors differ from %s (go test ./cmd/rehearse -run TestCLIErrorsGolden -update, then review):\n%s", path, buf.String())
	}
}

func TestBareRehearsePrintsUsage(t *testing.T) {
	code, out, _ := run(t)
	if code != exitPass || !strings.Contains(out, "Usage:") || !strings.Contains(out, "lint") {
		t.Errorf("exit %d, stdout %q; want 0 and the usage", code, out)
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, out, _ := run(t, args...)
		if code != exitPass || !regexp.MustCompile(`^rehearse \S+`).MatchString(out) || !strings.Contains(out, "go1.") {
			t.Errorf("%v: exit %d, %q", args, code, out)
		}
	}
}

// writeTestFile writes text into dir/name and returns the path.
func writeTestFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func runIn(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRootCmd()
	root.SetArgs(args)
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&errOut)
	code = codeOf(root.ExecuteContext(context.Background()), &errOut)
	return code, out.String(), errOut.String()
}

const indexSQL = "SET lock_timeout = '2s';\nCREATE INDEX users_email ON users (email);\n"

func TestLintStdin(t *testing.T) {
	code, out, errOut := runIn(t, indexSQL, "lint", "--format", "gcc", "-")
	if code != exitFail || !strings.HasPrefix(out, "<stdin>:2:1: error: CREATE INDEX") || !strings.Contains(out, "[index-not-concurrent]") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, out, _ = runIn(t, "-- rehearse:ignore index-not-concurrent -- empty table\n"+strings.SplitN(indexSQL, "\n", 2)[1], "lint", "--exclude", "missing-lock-timeout", "-")
	if code != exitPass || out != "" {
		t.Errorf("suppressed on stdin: exit %d, stdout %q", code, out)
	}
}

func TestLintExcludeAndListRules(t *testing.T) {
	path := writeTestFile(t, t.TempDir(), "1.sql", indexSQL)
	if code, _, _ := run(t, "lint", "--exclude", "index-not-concurrent", path); code != exitPass {
		t.Errorf("--exclude: exit %d, want 0", code)
	}
	code, out, _ := run(t, "lint", "--list-rules")
	if code != exitPass || !strings.Contains(out, "index-not-concurrent") || !strings.Contains(out, "unused-suppression") {
		t.Errorf("--list-rules: exit %d, %q", code, out)
	}
}

func TestLintGitHubByDefaultInActions(t *testing.T) {
	t.Setenv("GITHUB_ACTIONS", "true")
	path := writeTestFile(t, t.TempDir(), "1.sql", indexSQL)
	_, out, _ := run(t, "lint", path)
	if !strings.HasPrefix(out, "::error file=") || !strings.Contains(out, ",line=2,col=1,") {
		t.Errorf("stdout %q, want workflow commands", out)
	}
	_, out, _ = run(t, "lint", "--format", "text", path)
	if strings.HasPrefix(out, "::") {
		t.Errorf("--format text gave %q", out)
	}
}

// .rehearse.yaml is found from the working directory up and excludes
// rules and paths; migration_session.lock_timeout answers missing-lock-timeout.
func TestLintConfig(t *testing.T) {
	root := t.TempDir()
	writeTestFile(t, root, ".rehearse.yaml", "lint:\n  exclude_paths: [db/legacy]\nmigration_session: {lock_timeout: 2s}\n")
	writeTestFile(t, root, "db/legacy/1.sql", "CREATE INDEX a ON users (email);\n")
	writeTestFile(t, root, "db/new/1.sql", "ALTER TABLE users ADD COLUMN note text;\n")
	sub := filepath.Join(root, "db", "new")
	t.Chdir(sub)
	if code, out, errOut := run(t, "lint", "../legacy/1.sql", "1.sql"); code != exitPass || out != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want nothing reported", code, out, errOut)
	}
	if code, out, _ := run(t, "lint", "--no-config", "--fail-on", "warning", "../legacy/1.sql", "1.sql"); code != exitFail || !strings.Contains(out, "missing-lock-timeout") {
		t.Errorf("--no-config: exit %d, stdout %q", code, out)
	}
	writeTestFile(t, root, ".rehearse.yaml", "lint: {exclude_rule: [x]}\n")
	if code, _, errOut := run(t, "lint", "1.sql"); code != exitCannotRun || !strings.Contains(errOut, "exclude_rule") {
		t.Errorf("bad config: exit %d, stderr %q", code, errOut)
	}
}

func TestExplain(t *testing.T) {
	code, out, _ := run(t, "explain", "set-not-null")
	if code != exitPass || !strings.HasPrefix(out, "# set-not-null") || !strings.Contains(out, "VALIDATE CONSTRAINT") {
		t.Errorf("exit %d, %q", code, out)
	}
}

func TestDSNFromEnvironment(t *testing.T) {
	for _, name := range append([]string{"DATABASE_URL"}, libpqEnv...) {
		t.Setenv(name, "")
	}
	if got := dsnOrEnv(""); got != "" {
		t.Errorf("nothing set: %q", got)
	}
	t.Setenv("PGHOST", "/tmp")
	if got := dsnOrEnv(""); got != "postgres://" {
		t.Errorf("PGHOST set: %q, want pgx to complete it from PG*", got)
	}
	t.Setenv("DATABASE_URL", "postgres://u@db/app")
	if got := dsnOrEnv(""); got != "postgres://u@db/app" {
		t.Errorf("DATABASE_URL set: %q", got)
	}
	if got := dsnOrEnv("postgres://flag/x"); got != "postgres://flag/x" {
		t.Errorf("the flag wins: %q", got)
	}
	// --provider dsn takes DATABASE_URL, and still refuses it without --disposable.
	code, _, errOut := run(t, "--provider", "dsn", "testdata/pass.yaml")
	if code != exitCannotRun || !strings.Contains(errOut, "--disposable") {
		t.Errorf("--provider dsn with DATABASE_URL: exit %d, %q; want the --disposable refusal", code, errOut)
	}
}
