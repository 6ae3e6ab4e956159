package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeTest runs go test -json on testdata/fake through run with the rules.
func fakeTest(t *testing.T, rules string) (code int, out string, err error) {
	t.Helper()
	allow := filepath.Join(t.TempDir(), "allowed-skips")
	if err := os.WriteFile(allow, []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	code, err = run(allow, []string{"go", "test", "-json", "-count=1", "./testdata/fake"}, &b)
	return code, b.String(), err
}

func TestSkipNotAllowedFails(t *testing.T) {
	code, out, err := fakeTest(t, "# comment\n\nTestNeedsPostgres.*  PostgreSQL \\d+ is not installed\n")
	if code != 1 || err == nil || !strings.Contains(err.Error(), "2 test(s) skipped") {
		t.Errorf("code %d, err %v; want 1 and 2 skips not allowed\n%s", code, err, out)
	}
	for _, want := range []string{
		"allowed     github.com/rehearse/rehearse/internal/skipcheck/testdata/fake TestNeedsPostgres17: PostgreSQL 17 is not installed\n",
		"NOT ALLOWED github.com/rehearse/rehearse/internal/skipcheck/testdata/fake TestNeedsDocker: container provider not tested: no Docker\n",
		"NOT ALLOWED github.com/rehearse/rehearse/internal/skipcheck/testdata/fake TestParent/sub: (no reason given)\n",
		"ok  \tgithub.com/rehearse/rehearse/internal/skipcheck/testdata/fake",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// As plain go test: a passing test's log is not shown.
	if strings.Contains(out, "log of a passing test") || strings.Contains(out, "=== RUN") {
		t.Errorf("output shows passing tests:\n%s", out)
	}
}

func TestEverySkipAllowedPasses(t *testing.T) {
	code, out, err := fakeTest(t, "TestNeedsPostgres17 is not installed\nTestNeedsDocker|TestParent/.* .\n")
	if code != 0 || err != nil {
		t.Errorf("code %d, err %v; want 0\n%s", code, err, out)
	}
}

// The reason must match too: the same test skipping for another reason is
// not allowed.
func TestReasonMustMatch(t *testing.T) {
	code, out, _ := fakeTest(t, "TestNeedsPostgres17 no Docker\nTestNeedsDocker|TestParent/.* .\n")
	if code != 1 || !strings.Contains(out, "NOT ALLOWED github.com/rehearse/rehearse/internal/skipcheck/testdata/fake TestNeedsPostgres17") {
		t.Errorf("code %d; want 1 with TestNeedsPostgres17 not allowed\n%s", code, out)
	}
}

func TestFailureKeepsCommandStatusAndShowsItsOutput(t *testing.T) {
	t.Setenv("FAKE_FAIL", "1")
	code, out, _ := fakeTest(t, "Test.* .\n")
	if code != 1 {
		t.Errorf("code %d, want go test's 1", code)
	}
	for _, want := range []string{"failed as asked", "--- FAIL: TestFailsWhenAsked", "FAIL\tgithub.com/rehearse/rehearse/internal/skipcheck/testdata/fake"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestNoEventsFails(t *testing.T) {
	var out strings.Builder
	code, err := run("", []string{"echo", "not json"}, &out)
	if code != 1 || err == nil || out.String() != "not json\n" {
		t.Errorf("code %d, err %v, output %q; want 1, an error and the line relayed", code, err, out.String())
	}
}

func TestParseRulesReportsEveryBadLine(t *testing.T) {
	_, err := parseRules(strings.NewReader("TestA\nTestB( x\nTestC [\nTestD ok\n"), "allow")
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"allow:1: want", "allow:2: test:", "allow:3: reason:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}
