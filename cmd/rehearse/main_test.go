package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/rehearse/rehearse/result"
)

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = execute(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestValidateExamples(t *testing.T) {
	examples, _ := filepath.Glob("../../scenarios/examples/*.yaml")
	if len(examples) < 2 {
		t.Fatalf("found %d examples", len(examples))
	}
	code, out, errOut := run(t, append([]string{"validate"}, examples...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if strings.Count(out, ": ok") != len(examples) {
		t.Errorf("output %q", out)
	}
}

func TestTypoExitsTwoNamingTheLine(t *testing.T) {
	for _, args := range [][]string{{"validate", "testdata/typo.yaml"}, {"testdata/typo.yaml"}} {
		code, _, errOut := run(t, args...)
		if code != exitCannotRun {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
		if !strings.Contains(errOut, "testdata/typo.yaml:7:5") || !strings.Contains(errOut, "querys") {
			t.Errorf("%v: stderr %q does not name typo.yaml:7:5 and the key", args, errOut)
		}
	}
}

func TestBadCommandLinesExitTwo(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"testdata/missing.yaml"}, "missing.yaml"},
		{[]string{"--no-such-flag", "testdata/pass.yaml"}, "unknown flag"},
		{[]string{"a.yaml", "b.yaml"}, "rehearse takes one scenario file, got 2 arguments"},
		{[]string{"--provider", "dsn", "testdata/pass.yaml"}, "--provider dsn needs --dsn"},
		{[]string{"--provider", "cloud", "testdata/pass.yaml"}, `unknown --provider "cloud"`},
		{[]string{"--dsn", "postgres://u:pw@127.0.0.1:1/db", "testdata/pass.yaml"}, "--disposable"},
	} {
		code, _, errOut := run(t, tc.args...)
		if code != exitCannotRun || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
		if strings.Contains(errOut, ":pw@") {
			t.Errorf("%v: stderr shows a password: %q", tc.args, errOut)
		}
	}
}

func TestPassExitsZeroAndWritesJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.json")
	code, out, errOut := run(t, "testdata/pass.yaml", "--provider", "local", "--json", path)
	if code != exitPass {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	res := readResult(t, path)
	validateResultSchema(t, path)
	if !res.Verdict.Pass || res.Status != result.StatusCompleted || res.Seed != 3 {
		t.Errorf("result verdict=%v status=%s seed=%d", res.Verdict.Pass, res.Status, res.Seed)
	}
	if !strings.Contains(out, "PASS — tiny pass") {
		t.Errorf("summary does not start with the verdict:\n%s", out)
	}
}

// In GitHub Actions (as here) the failed checks are also annotations on the
// step's line and the sign-off goes to the job summary.
func TestFailExitsOneWithTheReason(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.json")
	summaryPath := filepath.Join(t.TempDir(), "summary.md")
	t.Setenv("GITHUB_ACTIONS", "true")
	t.Setenv("GITHUB_STEP_SUMMARY", summaryPath)
	code, out, errOut := run(t, "testdata/fail.yaml", "--provider", "local", "--json", path, "--seed", "9")
	if code != exitFail {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "::error file=testdata/fail.yaml,line=14,title=rehearse%3A tiny fail%3A compatibility::") {
		t.Errorf("no annotation of the compatibility check on the contract step's line:\n%s", out)
	}
	if summary, err := os.ReadFile(summaryPath); err != nil || !strings.Contains(string(summary), "tiny fail") {
		t.Errorf("job summary %q, %v; want the sign-off", summary, err)
	}
	res := readResult(t, path)
	if res.ToolVersion == "" {
		t.Error("no tool_version in the result")
	}
	if res.Verdict.Pass || res.Seed != 9 {
		t.Fatalf("verdict pass=%v seed=%d", res.Verdict.Pass, res.Seed)
	}
	if !strings.Contains(strings.Join(res.Verdict.Reasons, "\n"), "max_error_rate[old]") {
		t.Errorf("reasons %v do not name the error rate", res.Verdict.Reasons)
	}
	broken := false
	for _, c := range res.Compatibility {
		broken = broken || (c.Workload == "old" && c.Query == "get" && c.AfterStep == "contract" && !c.OK && c.SQLState == "42703" && c.Running)
	}
	if !broken {
		t.Errorf("the compatibility matrix does not show old get breaking after contract: %+v", res.Compatibility)
	}
	if !strings.Contains(strings.Join(res.Verdict.Reasons, "\n"), "compatibility: observed 1 of 2 break: old query get after contract") {
		t.Errorf("reasons %v do not name the broken query and step", res.Verdict.Reasons)
	}
	if res.Workloads[0].Queries[0].ErrorsBySQLState["42703"] == 0 {
		t.Errorf("old code reading the dropped column did not fail with 42703: %+v", res.Workloads[0].Queries[0])
	}
}

func readResult(t *testing.T, path string) *result.Result {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var res result.Result
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatal(err)
	}
	return &res
}

// validateResultSchema checks a result file against `rehearse schema --result`.
func validateResultSchema(t *testing.T, path string) {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(result.JSONSchema))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(result.SchemaURL, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(result.SchemaURL)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(v); err != nil {
		t.Errorf("%s does not match the result schema: %v", path, err)
	}
}
