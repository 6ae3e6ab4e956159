package reports_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/rehearse/rehearse/reports"
	"github.com/rehearse/rehearse/result"
)

var lintFindings = []result.LintFinding{
	{Rule: "index-not-concurrent", Severity: "error", Step: "0002_idx", File: "db/migrations/0002_idx.sql", Line: 3, Column: 1,
		Relation: "users", Lock: "ShareLock",
		Message: "CREATE INDEX without CONCURRENTLY holds a SHARE lock on users for the whole build: every INSERT, UPDATE and DELETE on it waits until the index is built.",
		Safe:    "CREATE INDEX CONCURRENTLY, outside a transaction (transaction: false)."},
	{Rule: "missing-lock-timeout", Severity: "warning", Step: "0003, odd: name", File: "db/migrations/0003, odd: name.sql", Line: 1, Column: 1,
		Message: "50% of\nthe time", Safe: ""},
	{Rule: "add-column-volatile-default", Severity: "info", Step: "expand", File: "scenario.yaml", Line: 12, Column: 9, Message: "maybe"},
}

// Each text line that starts a finding is FILE:LINE:COL: severity: message [rule],
// and no line is wider than reports.LintWidth.
func TestLintTextIsEditorParseable(t *testing.T) {
	var buf bytes.Buffer
	if err := reports.LintText(&buf, lintFindings); err != nil {
		t.Fatal(err)
	}
	head := regexp.MustCompile(`^(.+):(\d+):(\d+): (error|warning|info): (.+) \[([a-z-]+)\]$`)
	var starts int
	for _, line := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		if len(line) > reports.LintWidth {
			t.Errorf("line of %d columns: %q", len(line), line)
		}
		if strings.HasPrefix(line, "    ") {
			continue
		}
		m := head.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("line %q is neither a finding nor a continuation", line)
			continue
		}
		f := lintFindings[starts]
		if m[1] != f.File || m[2] != strconv.Itoa(f.Line) || m[4] != f.Severity || m[6] != f.Rule {
			t.Errorf("line %q does not match finding %+v", line, f)
		}
		starts++
	}
	if starts != len(lintFindings) {
		t.Errorf("%d findings in the text, want %d:\n%s", starts, len(lintFindings), buf.String())
	}
}

func TestLintGCCOneLineEach(t *testing.T) {
	var buf bytes.Buffer
	if err := reports.LintGCC(&buf, lintFindings); err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^(.+):(\d+):(\d+): (error|warning|note): (.+) \[([a-z-]+)\]$`)
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != len(lintFindings) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(lintFindings), buf.String())
	}
	for i, line := range lines {
		m := re.FindStringSubmatch(line)
		if m == nil || m[1] != lintFindings[i].File || m[6] != lintFindings[i].Rule {
			t.Errorf("line %q does not match %+v", line, lintFindings[i])
		}
	}
	if !strings.Contains(lines[2], ": note: ") {
		t.Errorf("info is not a gcc note: %q", lines[2])
	}
}

// The workflow commands parse back to the findings, escapes undone.
func TestLintGitHubParsesBack(t *testing.T) {
	var buf bytes.Buffer
	if err := reports.LintGitHub(&buf, lintFindings); err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^::(error|warning|notice) file=([^,]+),line=(\d+),col=(\d+),title=([^,:]+)::(.*)$`)
	unescape := strings.NewReplacer("%0A", "\n", "%0D", "\r", "%3A", ":", "%2C", ",", "%25", "%")
	sc := bufio.NewScanner(&buf)
	i := 0
	for ; sc.Scan(); i++ {
		m := re.FindStringSubmatch(sc.Text())
		if m == nil {
			t.Fatalf("line %q is not a workflow command", sc.Text())
		}
		f := lintFindings[i]
		if unescape.Replace(m[2]) != f.File || m[3] != strconv.Itoa(f.Line) || !strings.HasPrefix(unescape.Replace(m[6]), f.Message) {
			t.Errorf("line %q does not give back %+v", sc.Text(), f)
		}
	}
	if i != len(lintFindings) {
		t.Errorf("%d commands, want %d", i, len(lintFindings))
	}
	if !strings.Contains(bufString(t, lintFindings), "::notice ") {
		t.Error("info is not a notice")
	}
}

func bufString(t *testing.T, fs []result.LintFinding) string {
	var b bytes.Buffer
	if err := reports.LintGitHub(&b, fs); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// The SARIF log is valid against the SARIF 2.1.0 schema of the OASIS
// specification (testdata/sarif-schema-2.1.0.json, sarif-2.1/schema/ of the spec's repository).
func TestLintSARIFMatchesTheSpecSchema(t *testing.T) {
	rules := []reports.LintRule{{ID: "index-not-concurrent", Summary: "CREATE INDEX without CONCURRENTLY", Severity: "error",
		HelpURI: "https://github.com/rehearse/rehearse/blob/main/docs/rules/index-not-concurrent.md"}}
	var buf bytes.Buffer
	if err := reports.LintSARIF(&buf, lintFindings, rules, "v0.1.0"); err != nil {
		t.Fatal(err)
	}
	validate(t, "testdata/sarif-schema-2.1.0.json", buf.Bytes())

	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Results []struct {
				RuleID    string `json:"ruleId"`
				Level     string `json:"level"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }    `json:"artifactLocation"`
						Region           struct{ StartLine int } `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 || len(log.Runs[0].Results) != len(lintFindings) {
		t.Fatalf("log %+v", log)
	}
	r := log.Runs[0].Results[0]
	if r.RuleID != "index-not-concurrent" || r.Level != "error" || r.Locations[0].PhysicalLocation.ArtifactLocation.URI != "db/migrations/0002_idx.sql" ||
		r.Locations[0].PhysicalLocation.Region.StartLine != 3 {
		t.Errorf("first result %+v", r)
	}

	// The check can fail: a log without the version is rejected.
	if err := validateErr("testdata/sarif-schema-2.1.0.json", []byte(`{"runs": []}`)); err == nil {
		t.Error("schema accepted a log without version")
	}
}

func validate(t *testing.T, schemaPath string, doc []byte) {
	t.Helper()
	if err := validateErr(schemaPath, doc); err != nil {
		t.Fatalf("%s: %v\n%s", schemaPath, err, doc)
	}
}

func validateErr(schemaPath string, doc []byte) error {
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		return err
	}
	schemaDoc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("schema.json", schemaDoc); err != nil {
		return err
	}
	sch, err := c.Compile("schema.json")
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}
