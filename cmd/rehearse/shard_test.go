package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestParseShard(t *testing.T) {
	t.Parallel()
	env := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }
	for _, tc := range []struct {
		arg  string
		env  map[string]string
		want shardSpec
		err  string
	}{
		{arg: "1/3", want: shardSpec{0, 3}},
		{arg: "3/3", want: shardSpec{2, 3}},
		{arg: "3", env: map[string]string{jobIndexEnv: "2"}, want: shardSpec{2, 3}},
		{arg: "3", env: map[string]string{shardIndexEnv: "0"}, want: shardSpec{0, 3}},
		{arg: "0/3", err: "from 1 to 3"},
		{arg: "4/3", err: "from 1 to 3"},
		{arg: "x/3", err: "from 1 to 3"},
		{arg: "1/0", err: "want I/N"},
		{arg: "3", err: "set $JOB_COMPLETION_INDEX"},
		{arg: "3", env: map[string]string{jobIndexEnv: "3"}, err: "want 0 to 2"},
	} {
		got, err := parseShard(tc.arg, env(tc.env))
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q %v: err %v, want %q", tc.arg, tc.env, err, tc.err)
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("%q %v: %v, %v; want %v", tc.arg, tc.env, got, err, tc.want)
		}
	}
}

// TestShardsAreStable checks that every scenario lands in exactly one
// shard, the same one whatever the order the runner lists them in, and that
// shards differ in size by at most one.
func TestShardsAreStable(t *testing.T) {
	t.Parallel()
	var files []scenarioFile
	for i := range 10 {
		stem := fmt.Sprintf("s%02d", (i*7)%10)
		files = append(files, scenarioFile{path: "dir/" + stem + ".yaml", stem: stem})
	}
	assign := func(files []scenarioFile) map[string]int {
		out := map[string]int{}
		for i := range 3 {
			mine, pos := shardSpec{i, 3}.pick(files)
			for k, f := range mine {
				if _, dup := out[f.stem]; dup {
					t.Fatalf("%s in two shards", f.stem)
				}
				if files[pos[k]] != f {
					t.Errorf("position %d is not %s", pos[k], f.stem)
				}
				out[f.stem] = i
			}
			if len(mine) < 3 || len(mine) > 4 {
				t.Errorf("shard %d has %d of 10", i+1, len(mine))
			}
		}
		return out
	}
	first := assign(files)
	if len(first) != len(files) {
		t.Fatalf("%d of %d scenarios assigned", len(first), len(files))
	}
	reversed := slices.Clone(files)
	slices.Reverse(reversed)
	if second := assign(reversed); fmt.Sprint(second) != fmt.Sprint(first) {
		t.Errorf("another order, another split:\n%v\n%v", first, second)
	}
}

// TestShardedSuiteMergesToTheUnshardedOne rehearses three scenarios (two
// pass, one fails) once unsharded and once over two shards, merges the
// shards, and compares the verdicts, summary lines and JUnit cases.
func TestShardedSuiteMergesToTheUnshardedOne(t *testing.T) {
	suite := t.TempDir()
	for name, src := range map[string]string{"a": "pass", "b": "fail", "c": "pass"} {
		if err := os.WriteFile(filepath.Join(suite, name+".yaml"), []byte(readFile(t, "testdata/"+src+".yaml")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	common := []string{"--provider", "local", "-q"}
	whole := t.TempDir()
	if code, _, errOut := run(t, append([]string{"run", suite, "--out", whole}, common...)...); code != exitFail {
		t.Fatalf("unsharded: exit %d, want 1: %s", code, errOut)
	}
	var shards []string
	listed := map[string]bool{}
	for i := 1; i <= 2; i++ {
		code, out, errOut := run(t, "suite", suite, "--shard", fmt.Sprintf("%d/2", i), "--list")
		if code != 0 {
			t.Fatalf("--list: exit %d: %s", code, errOut)
		}
		for _, line := range strings.Fields(out) {
			listed[filepath.Base(line)] = true
		}
		dir := t.TempDir()
		shards = append(shards, dir)
		run(t, append([]string{"suite", suite, "--shard", fmt.Sprintf("%d/2", i), "--out", dir}, common...)...)
	}
	if len(listed) != 3 {
		t.Errorf("the shards list %v, want the 3 scenarios", listed)
	}
	merged := t.TempDir()
	if code, _, errOut := run(t, append([]string{"merge", "--out", merged}, shards...)...); code != exitFail {
		t.Fatalf("merge: exit %d, want 1 (b fails): %s", code, errOut)
	}
	for _, f := range []string{"a.json", "b.md", "c.html"} {
		if _, err := os.Stat(filepath.Join(merged, f)); err != nil {
			t.Errorf("merged --out lacks %s", f)
		}
	}
	if a, b := junitCases(t, whole), junitCases(t, merged); a != b {
		t.Errorf("JUnit cases differ:\nunsharded %s\nmerged    %s", a, b)
	}
	if a, b := outcomes(t, whole), outcomes(t, merged); a != b {
		t.Errorf("summaries differ:\nunsharded %s\nmerged    %s", a, b)
	}
	if code, _, errOut := run(t, "merge", "--out", t.TempDir(), shards[0]); code != exitCannotRun || !strings.Contains(errOut, "shards missing: 2/2") {
		t.Errorf("merge of one shard of two: exit %d, %q", code, errOut)
	}
}

var junitCase = regexp.MustCompile(`<testcase [^>]*name="([^"]*)"[^>]*classname="([^"]*)"|<testcase [^>]*classname="([^"]*)"[^>]*name="([^"]*)"|<failure`)

// junitCases lists junit.xml's test cases and failures, in order.
func junitCases(t *testing.T, dir string) string {
	t.Helper()
	return strings.Join(junitCase.FindAllString(readFile(t, filepath.Join(dir, "junit.xml")), -1), "\n")
}

var number = regexp.MustCompile(`[0-9.]+`)

// outcomes is summary.txt with its figures blanked (they differ between
// two runs of the same scenarios).
func outcomes(t *testing.T, dir string) string {
	t.Helper()
	return number.ReplaceAllString(readFile(t, filepath.Join(dir, "summary.txt")), "#")
}
