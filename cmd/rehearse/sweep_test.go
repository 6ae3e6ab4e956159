package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestParseRows(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]float64{"1M": 1e6, "500k": 5e5, "2.5G": 2.5e9, "1_000_000": 1e6, " 16M": 16e6} {
		if got, err := parseRows(in); err != nil || got != want {
			t.Errorf("parseRows(%q) = %g, %v; want %g", in, got, err, want)
		}
	}
	for _, in := range []string{"", "M", "-1M", "0", "lots"} {
		if _, err := parseRows(in); err == nil {
			t.Errorf("parseRows(%q): no error", in)
		}
	}
}

// TestSweepRehearsesEachSize sweeps the tiny pass scenario over three sizes
// and checks each size's result and the fit lines for its step.
func TestSweepRehearsesEachSize(t *testing.T) {
	out := t.TempDir()
	code, stdout, errOut := run(t, "sweep", "testdata/pass.yaml", "--sizes", "1k,2k,4k", "--at", "1M", "--provider", "local", "-q", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, rows := range []string{"1000", "2000", "4000"} {
		res := readResult(t, filepath.Join(out, "pass-"+rows+".json"))
		if len(res.Data.Tables) != 1 || res.Data.Tables[0].Rows != mustAtoi(t, rows) {
			t.Errorf("size %s: tables %+v", rows, res.Data.Tables)
		}
	}
	for _, want := range []string{"PASS at 4,000 rows", "add duration_ms: 1,000: ", "add lock_held_ms:", "add max_wait_ms:", "fit: ", "at 1,000,000 rows: "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if code, _, errOut := run(t, "sweep", "testdata/pass.yaml", "--sizes", "1k,lots"); code != exitCannotRun || !strings.Contains(errOut, "lots") {
		t.Errorf("bad --sizes: exit %d, %q", code, errOut)
	}
}

func mustAtoi(t *testing.T, s string) int64 {
	t.Helper()
	n, err := parseRows(s)
	if err != nil {
		t.Fatal(err)
	}
	return int64(n)
}
