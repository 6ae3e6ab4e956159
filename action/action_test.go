// Package action holds the shell scripts of the repository's GitHub action
// (action.yml) and their tests; it has no Go code of its own.
package action

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/rhysd/actionlint"
)

func sh(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestChangedListsOnlyTouchedScenarios(t *testing.T) {
	script, _ := filepath.Abs("changed.sh")
	repo := t.TempDir()
	git := []string{"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com"}
	sh(t, repo, git, "git", "init", "-q")
	write(t, filepath.Join(repo, "scenarios/a/a.yaml"), "name: a\n")
	write(t, filepath.Join(repo, "scenarios/a/schema.sql"), "CREATE TABLE a (id int);\n")
	write(t, filepath.Join(repo, "scenarios/b/b.yaml"), "name: b\n")
	sh(t, repo, git, "git", "add", "-A")
	sh(t, repo, git, "git", "commit", "-qm", "base")
	base := strings.TrimSpace(sh(t, repo, git, "git", "rev-parse", "HEAD"))
	write(t, filepath.Join(repo, "scenarios/a/schema.sql"), "CREATE TABLE a (id bigint);\n")
	sh(t, repo, git, "git", "commit", "-qam", "change a's schema")

	if got := sh(t, repo, nil, script, base, "scenarios/a", "scenarios/b"); got != "scenarios/a/a.yaml\n" {
		t.Errorf("changed against base: %q, want only a", got)
	}
	if got := sh(t, repo, nil, script, "", "scenarios/a", "scenarios/b/b.yaml"); got != "scenarios/a/a.yaml\nscenarios/b/b.yaml\n" {
		t.Errorf("without base: %q, want both", got)
	}
}

// comment.sh posts once, then updates its own comment (found by marker).
func TestCommentIsSticky(t *testing.T) {
	script, _ := filepath.Abs("comment.sh")
	dir := t.TempDir()
	log := filepath.Join(dir, "calls")
	existing := filepath.Join(dir, "existing")
	// A stand-in for the gh CLI: lists the comment id in $existing (if any)
	// and records every call.
	write(t, filepath.Join(dir, "bin/gh"), `#!/usr/bin/env bash
echo "$*" >> `+log+`
if [[ $* == *--jq* ]]; then cat `+existing+` 2>/dev/null || true; fi
`)
	write(t, filepath.Join(dir, "report.md"), "## PASS — users rename\n")
	env := []string{"PATH=" + filepath.Join(dir, "bin") + ":" + os.Getenv("PATH"), "GITHUB_REPOSITORY=o/r"}

	if out := sh(t, dir, env, script, "7", "rename", "report.md"); !strings.Contains(out, "posted") {
		t.Errorf("first run: %q", out)
	}
	write(t, existing, "4242\n")
	if out := sh(t, dir, env, script, "7", "rename", "report.md"); !strings.Contains(out, "updated comment 4242") {
		t.Errorf("second run: %q", out)
	}
	calls, _ := os.ReadFile(log)
	if !strings.Contains(string(calls), "--method POST repos/o/r/issues/7/comments -f body=<!-- rehearse:rename -->") ||
		!strings.Contains(string(calls), "--method PATCH repos/o/r/issues/comments/4242") {
		t.Errorf("gh calls:\n%s", calls)
	}
}

type actionFile struct {
	Runs struct {
		Using string `yaml:"using"`
		Steps []struct {
			Name  string            `yaml:"name"`
			Uses  string            `yaml:"uses"`
			Shell string            `yaml:"shell"`
			Run   string            `yaml:"run"`
			Env   map[string]string `yaml:"env"`
		} `yaml:"steps"`
	} `yaml:"runs"`
}

func loadAction(t *testing.T) actionFile {
	t.Helper()
	raw, err := os.ReadFile("../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var a actionFile
	if err := yaml.Unmarshal(raw, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

// A composite action's run steps must name their shell; each run script
// must at least parse as bash.
func TestActionStepsAreBash(t *testing.T) {
	a := loadAction(t)
	if a.Runs.Using != "composite" || len(a.Runs.Steps) == 0 {
		t.Fatalf("runs: %+v", a.Runs)
	}
	for _, s := range a.Runs.Steps {
		if s.Run == "" {
			if s.Uses == "" {
				t.Errorf("step %q neither runs nor uses", s.Name)
			}
			continue
		}
		if s.Shell != "bash" {
			t.Errorf("step %q: shell %q, want bash", s.Name, s.Shell)
		}
		// ${{ }} expressions are replaced by the runner; bash -n sees a word.
		script := strings.ReplaceAll(s.Run, "${{", "X")
		cmd := exec.Command("bash", "-n")
		cmd.Stdin = strings.NewReader(script)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("step %q does not parse: %v\n%s", s.Name, err, out)
		}
	}
}

// The Verdict step, run as the runner would, maps exit codes to outputs.
func TestActionVerdictStep(t *testing.T) {
	var run string
	for _, s := range loadAction(t).Runs.Steps {
		if s.Name == "Verdict" {
			run = s.Run
		}
	}
	for _, tc := range []struct {
		lint, rehearse string
		result         string
		code           int
	}{{"0", "", "pass", 0}, {"1", "0", "fail", 1}, {"0", "2", "error", 2}, {"", "", "pass", 0}} {
		out := filepath.Join(t.TempDir(), "out")
		cmd := exec.Command("bash", "-e", "-c", run)
		cmd.Env = append(os.Environ(), "GITHUB_OUTPUT="+out, "LINT_CODE="+tc.lint, "REHEARSE_CODE="+tc.rehearse)
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(out)
		if code != tc.code || strings.TrimSpace(string(got)) != "result="+tc.result {
			t.Errorf("lint %q rehearse %q: exit %d, %q; want %d, result=%s", tc.lint, tc.rehearse, code, got, tc.code, tc.result)
		}
	}
}

// The sample workflow passes actionlint, which also checks the inputs it
// gives the local action against action.yml.
func TestWorkflowPassesActionlint(t *testing.T) {
	// actionlint resolves `uses: ./` from the repository root, where
	// action.yml is; lay out a repository with the two files.
	root := t.TempDir()
	for src, dst := range map[string]string{"../action.yml": "action.yml", "testdata/rehearse.yml": ".github/workflows/rehearse.yml"} {
		raw, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(root, dst), string(raw))
	}
	if err := os.Mkdir(filepath.Join(root, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	l, err := actionlint.NewLinter(&out, &actionlint.LinterOptions{Shellcheck: "", Pyflakes: ""})
	if err != nil {
		t.Fatal(err)
	}
	errs, err := l.LintRepository(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		t.Errorf("actionlint: %s", e)
	}

	// The check can fail: an input the action does not have is reported.
	write(t, filepath.Join(root, ".github/workflows/rehearse.yml"), strings.Replace(readFile(t, "testdata/rehearse.yml"), "sarif: 'true'", "sarif: 'true'\n          no-such-input: x", 1))
	if errs, err := l.LintRepository(root); err != nil || len(errs) == 0 || !strings.Contains(errs[0].Error(), "no-such-input") {
		t.Errorf("actionlint accepted an unknown input: %v %v", errs, err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}
