package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rehearse/rehearse/scenarios"
)

func TestParseRows(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]float64{"1M": 1e6, "500k": 5e5, "2.5G": 2.5e9, "1_000_000": 1e6, " 16M": 16e6, "2.5M": 2.5e6} {
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

// TestSweepRehearsesEachSize sweeps the tiny pass scenario over the three
// sizes of its data.sweep and checks each size's result and the fit lines
// for its step.
func TestSweepRehearsesEachSize(t *testing.T) {
	src, err := os.ReadFile("testdata/pass.yaml")
	if err != nil {
		t.Fatal(err)
	}
	swept := strings.Replace(string(src), "  seed: 3\n", "  seed: 3\n  sweep: {sizes: [1k, 2k, 4k], at: 1M}\n", 1)
	path := filepath.Join(t.TempDir(), "pass.yaml")
	if err := os.WriteFile(path, []byte(swept), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	code, stdout, errOut := run(t, "sweep", path, "--provider", "local", "-q", "--out", out)
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
	if !strings.Contains(errOut, "predicting at 1,000,000 rows of t (data.sweep.at)") {
		t.Errorf("stderr does not say where the production size came from:\n%s", errOut)
	}
	if code, _, errOut := run(t, "sweep", "testdata/pass.yaml", "--sizes", "1k,lots"); code != exitCannotRun || !strings.Contains(errOut, "lots") {
		t.Errorf("bad --sizes: exit %d, %q", code, errOut)
	}
	if code, _, errOut := run(t, "sweep", "testdata/pass.yaml"); code != exitCannotRun || !strings.Contains(errOut, "give --sizes") {
		t.Errorf("no sizes: exit %d, %q", code, errOut)
	}
}

// TestSweepSizes checks where the sizes and the production size come from:
// the flags first, then data.sweep, then the profile's rows of the largest
// table.
func TestSweepSizes(t *testing.T) {
	t.Parallel()
	profiled := func() *scenarios.Scenario {
		return &scenarios.Scenario{Data: scenarios.Data{
			Tables:      map[string]*scenarios.Table{"users": {Rows: 20_000}, "orders": {Rows: 100_000}},
			ProfileData: &scenarios.Profile{Tables: []scenarios.ProfileTable{{Name: "users", Rows: 200_000}, {Name: "orders", Rows: 1_000_000}}},
			Sweep:       &scenarios.Sweep{Sizes: []scenarios.Count{100_000, 200_000, 400_000}},
		}}
	}
	for _, tc := range []struct {
		name       string
		sc         *scenarios.Scenario
		f          sweepFlags
		wantSizes  []float64
		wantAt     float64
		wantAtFrom string
	}{
		{"profile", profiled(), sweepFlags{}, []float64{1e5, 2e5, 4e5}, 1e6, "its rows in data.profile"},
		{"flags win", profiled(), sweepFlags{sizes: "1k,2k", at: "5M"}, []float64{1e3, 2e3}, 5e6, "--at"},
		{"data.sweep.at", func() *scenarios.Scenario { s := profiled(); s.Data.Sweep.At = 3e6; return s }(), sweepFlags{}, []float64{1e5, 2e5, 4e5}, 3e6, "data.sweep.at"},
		{"nothing to predict at", func() *scenarios.Scenario { s := profiled(); s.Data.ProfileData = nil; return s }(), sweepFlags{}, []float64{1e5, 2e5, 4e5}, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sizes, at, from, err := sweepSizes(tc.sc, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(sizes, tc.wantSizes) || at != tc.wantAt || from != tc.wantAtFrom {
				t.Errorf("got %v at %g (%q), want %v at %g (%q)", sizes, at, from, tc.wantSizes, tc.wantAt, tc.wantAtFrom)
			}
		})
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
