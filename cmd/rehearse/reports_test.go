package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/rehearse/rehearse/result"
)

const savedResult = "../../reports/testdata/unsafe-full.json"

func TestReportRendersEveryFormat(t *testing.T) {
	t.Parallel()
	for format, want := range map[string]string{
		"text":     "FAIL — widen users.balance",
		"md":       "### ❌ FAIL · widen users.balance",
		"markdown": "### ❌ FAIL · widen users.balance",
		"junit":    `<?xml version="1.0" encoding="UTF-8"?>`,
		"html":     "<!DOCTYPE html>",
		"json":     `"schema_version": 1`,
	} {
		code, out, errOut := run(t, "report", savedResult, "--format", format)
		if code != exitPass || !strings.Contains(out, want) {
			t.Errorf("--format %s: exit %d, stderr %q, output does not contain %q", format, code, errOut, want)
		}
	}
}

func TestReportWritesTheOutputFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "r.md")
	code, out, errOut := run(t, "report", savedResult, "-f", "md", "-o", path)
	if code != exitPass || out != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	data, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(data), "#### Reproduce") {
		t.Errorf("%s: %v, %d bytes", path, err, len(data))
	}
}

func TestReportBadInputExitsTwo(t *testing.T) {
	t.Parallel()
	future := filepath.Join(t.TempDir(), "future.json")
	os.WriteFile(future, []byte(`{"schema_version": 2}`), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"report", savedResult, "--format", "pdf"}, `unknown --format "pdf"`},
		{[]string{"report", "testdata/missing.json"}, "missing.json"},
		{[]string{"report", future}, "schema_version 2"},
		{[]string{"report", "testdata/pass.yaml"}, "read result"},
		{[]string{"report", savedResult, "-o", filepath.Join(t.TempDir(), "no", "such", "dir.md")}, "no such file"},
	} {
		code, _, errOut := run(t, tc.args...)
		if code != exitCannotRun || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
}

func TestRunWritesMarkdownJUnitAndHTML(t *testing.T) {
	dir := t.TempDir()
	md, junit, page, js := filepath.Join(dir, "m.md"), filepath.Join(dir, "j.xml"), filepath.Join(dir, "h.html"), filepath.Join(dir, "r.json")
	code, out, errOut := run(t, "testdata/fail.yaml", "--provider", "local", "--markdown", md, "--junit", junit, "--html", page, "--json", js, "-q")
	if code != exitFail {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	res := readResult(t, js)
	wantCmd := "rehearse testdata/fail.yaml --html " + page + " --json " + js + " --junit " + junit + " --markdown " + md + " --provider local --quiet"
	if res.Command != wantCmd {
		t.Errorf("command %q, want %q", res.Command, wantCmd)
	}
	mdText := readFile(t, md)
	if !strings.HasPrefix(mdText, "### ❌ FAIL · tiny fail · PostgreSQL ") || !strings.Contains(mdText, wantCmd) {
		t.Errorf("markdown does not start with the verdict or lacks the command:\n%s", mdText)
	}
	var doc struct {
		Suites []struct {
			Cases []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(readFile(t, junit)), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Suites) != 1 || len(doc.Suites[0].Cases) != len(res.Verdict.Checks) {
		t.Fatalf("junit %+v for %d checks", doc, len(res.Verdict.Checks))
	}
	if !strings.Contains(readFile(t, page), "<svg") {
		t.Error("the HTML report has no chart")
	}
}

func TestCommandLineRedactsTheDSNPassword(t *testing.T) {
	t.Parallel()
	var f runFlags
	cmd := &cobra.Command{Use: "rehearse", RunE: func(*cobra.Command, []string) error { return nil }}
	f.register(cmd)
	if err := cmd.ParseFlags([]string{"--dsn", "postgres://u:secret@127.0.0.1:5432/db", "--disposable", "--seed", "9", "--json", "my results.json"}); err != nil {
		t.Fatal(err)
	}
	got := commandLine(cmd, "s.yaml", nil)
	want := "rehearse s.yaml --disposable --dsn postgres://u:xxxxx@127.0.0.1:5432/db --json 'my results.json' --seed 9"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if got := commandLine(cmd, "s.yaml", map[string]bool{"json": true, "dsn": true}); got != "rehearse s.yaml --disposable --seed 9" {
		t.Errorf("skipping json and dsn: %q", got)
	}
	if q := shellQuote("it's"); q != `'it'\''s'` {
		t.Errorf("shellQuote: %s", q)
	}
}

func TestNightlyRunsEachScenarioAndComparesWithTheBaseline(t *testing.T) {
	first, second := t.TempDir(), t.TempDir()
	code, out, errOut := run(t, "run", "testdata/pass.yaml", "testdata/fail.yaml", "--provider", "local", "--out", first, "-q")
	if code != exitFail {
		t.Fatalf("exit %d, want 1 (fail.yaml fails)\n%s\n%s", code, out, errOut)
	}
	for _, name := range []string{"pass.json", "pass.md", "pass.html", "fail.json", "fail.md", "fail.html", "summary.txt", "summary.md", "junit.xml"} {
		if _, err := os.Stat(filepath.Join(first, name)); err != nil {
			t.Errorf("first run: %v", err)
		}
	}
	if !strings.Contains(out, "FAIL: 2 scenarios, 1 passed, 1 failed, 0 could not run") {
		t.Errorf("stdout lacks the summary:\n%s", out)
	}
	if got := readResult(t, filepath.Join(first, "pass.json")).Command; got != "rehearse testdata/pass.yaml --provider local --quiet" {
		t.Errorf("pass.json command %q", got)
	}
	if n := strings.Count(readFile(t, filepath.Join(first, "junit.xml")), "<testsuite "); n != 2 {
		t.Errorf("junit.xml has %d suites, want 2", n)
	}

	// Make last night's "add" step take 0ms: with no tolerance at all, any
	// duration now is a regression, and the verdict must say so.
	prev := readResult(t, filepath.Join(first, "pass.json"))
	prev.Steps[0].DurationMS = 0
	writeResult(t, filepath.Join(first, "pass.json"), prev)
	code, out, errOut = run(t, "run", "testdata/pass.yaml", "--provider", "local", "--out", second, "--baseline", first,
		"--tolerance", "1", "--floor-step", "0s", "-q")
	res := readResult(t, filepath.Join(second, "pass.json"))
	var check *result.Check
	for i, c := range res.Verdict.Checks {
		if c.Name == "regression.step_duration[add]" {
			check = &res.Verdict.Checks[i]
		}
	}
	if check == nil {
		t.Fatalf("no regression check for step add in %+v\n%s", res.Verdict.Checks, errOut)
	}
	regressed := res.Steps[0].DurationMS > 0
	if check.Pass == regressed || (code == exitFail) != regressed {
		t.Errorf("step took %dms against 0ms last night: check %+v, exit %d", res.Steps[0].DurationMS, *check, code)
	}
	if !strings.Contains(readFile(t, filepath.Join(second, "summary.md")), "compared with "+filepath.Join(first, "pass.json")) {
		t.Errorf("summary.md does not say what it compared with:\n%s", readFile(t, filepath.Join(second, "summary.md")))
	}
}

func TestNightlyGoesOnWhenAScenarioCannotRun(t *testing.T) {
	out := t.TempDir()
	code, stdout, errOut := run(t, "run", "testdata/typo.yaml", "testdata/pass.yaml", "--provider", "local", "--out", out, "--baseline", filepath.Join(out, "none"), "-q")
	if code != exitCannotRun {
		t.Fatalf("exit %d, want 2\n%s\n%s", code, stdout, errOut)
	}
	if _, err := os.Stat(filepath.Join(out, "pass.json")); err != nil {
		t.Errorf("pass.yaml did not run after typo.yaml failed to load: %v", err)
	}
	if !strings.Contains(errOut, "no baseline at") {
		t.Errorf("stderr does not warn about the missing baseline: %q", errOut)
	}
	junit := readFile(t, filepath.Join(out, "junit.xml"))
	if !strings.Contains(junit, `type="could not run"`) || !strings.Contains(junit, "querys") {
		t.Errorf("junit.xml does not carry typo.yaml's error:\n%s", junit)
	}
}

func TestNightlyBadCommandLinesExitTwo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "pass.yml"), []byte("name: x\n"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "testdata/pass.yaml"}, "suite needs --out DIR"},
		{[]string{"run", "testdata/missing.yaml", "--out", dir}, "missing.yaml"},
		{[]string{"run", "testdata/pass.yaml", filepath.Join(dir, "pass.yml"), "--out", dir}, "the same name"},
		{[]string{"run", t.TempDir(), "--out", dir}, "no *.yaml or *.yml"},
		{[]string{"run", "testdata/pass.yaml", "--out", dir, "--tolerance", "0.5"}, "--tolerance 0.5"},
	} {
		code, _, errOut := run(t, tc.args...)
		if code != exitCannotRun || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func writeResult(t *testing.T, path string, r *result.Result) {
	t.Helper()
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
