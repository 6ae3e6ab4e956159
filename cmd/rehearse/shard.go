package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rehearse/rehearse/reports"
)

// Shard indexes from the environment, for `--shard N`: a Kubernetes
// Indexed Job's completion index, or one of our own; both count from 0.
const (
	jobIndexEnv   = "JOB_COMPLETION_INDEX"
	shardIndexEnv = "REHEARSE_SHARD_INDEX"
)

// shardFile is the manifest a sharded run writes into --out for merge.
const shardFile = "shard.json"

// shardSpec is one share of a suite: Index of Count, Index from 0.
type shardSpec struct {
	Index, Count int
}

func (s shardSpec) String() string { return fmt.Sprintf("%d/%d", s.Index+1, s.Count) }

// parseShard reads --shard: "I/N" with I from 1 to N (a CI matrix), or
// "N" with the index, from 0, in $JOB_COMPLETION_INDEX (a Kubernetes
// Indexed Job) or $REHEARSE_SHARD_INDEX.
func parseShard(arg string, getenv func(string) string) (shardSpec, error) {
	is, ns, explicit := strings.Cut(arg, "/")
	if !explicit {
		ns = is
	}
	n, err := strconv.Atoi(ns)
	if err != nil || n < 1 {
		return shardSpec{}, fmt.Errorf("--shard %q: want I/N (1 ≤ I ≤ N) or N with the index in $%s", arg, jobIndexEnv)
	}
	if explicit {
		i, err := strconv.Atoi(is)
		if err != nil || i < 1 || i > n {
			return shardSpec{}, fmt.Errorf("--shard %q: I must be from 1 to %d", arg, n)
		}
		return shardSpec{i - 1, n}, nil
	}
	for _, env := range []string{jobIndexEnv, shardIndexEnv} {
		v := getenv(env)
		if v == "" {
			continue
		}
		i, err := strconv.Atoi(v)
		if err != nil || i < 0 || i >= n {
			return shardSpec{}, fmt.Errorf("--shard %d: $%s=%q, want 0 to %d", n, env, v, n-1)
		}
		return shardSpec{i, n}, nil
	}
	return shardSpec{}, fmt.Errorf("--shard %d: give I/%d, or set $%s (a Kubernetes Indexed Job does) or $%s", n, n, jobIndexEnv, shardIndexEnv)
}

// pick returns the scenarios of the shard, in the suite's order, with
// their positions in the whole suite. Scenarios are dealt round-robin in
// the order of their stems (names), so the share depends on the set of
// scenarios only, not on argument order or the runner: every runner of a
// matrix computes the same split.
func (s shardSpec) pick(files []scenarioFile) (mine []scenarioFile, pos []int) {
	byStem := make([]int, len(files))
	for i := range files {
		byStem[i] = i
	}
	sort.Slice(byStem, func(a, b int) bool { return files[byStem[a]].stem < files[byStem[b]].stem })
	take := make([]bool, len(files))
	for rank, i := range byStem {
		take[i] = rank%s.Count == s.Index
	}
	for i, f := range files {
		if take[i] {
			mine, pos = append(mine, f), append(pos, i)
		}
	}
	return mine, pos
}

// shardManifest is shard.json: what merge needs beside the results.
type shardManifest struct {
	Shard  int          `json:"shard"` // from 1
	Of     int          `json:"of"`
	Total  int          `json:"total"` // scenarios in the whole suite
	Suites []shardSuite `json:"suites"`
}

type shardSuite struct {
	Pos       int    `json:"pos"` // in the whole suite
	Name      string `json:"name"`
	Path      string `json:"path"`
	Err       string `json:"error,omitempty"`
	Baseline  string `json:"baseline,omitempty"`
	Report    string `json:"report,omitempty"`
	HasResult bool   `json:"has_result"`
}

func writeShardManifest(dir string, spec shardSpec, total int, suites []reports.Suite, pos []int) error {
	m := shardManifest{Shard: spec.Index + 1, Of: spec.Count, Total: total}
	for i, s := range suites {
		m.Suites = append(m.Suites, shardSuite{Pos: pos[i], Name: s.Name, Path: s.Path, Err: s.Err,
			Baseline: s.Baseline, Report: s.Report, HasResult: s.Result != nil})
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, shardFile), append(b, '\n'), 0o644)
}

func newMergeCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "merge --out DIR SHARD_DIR...",
		Short: "Combine the --out directories of a sharded suite into one summary, JUnit and set of results",
		Long: `merge reads the --out directories of every shard of one suite (rehearse run
... --shard I/N --out SHARD_DIR) and writes into --out what one unsharded run
of the same results writes: each scenario's JSON, Markdown and HTML, and
summary.txt, summary.md and junit.xml in the suite's order. The regression
checks against --baseline were made by each shard and are kept. Every shard
of 1..N must be there exactly once.

Exit codes: 0 every scenario passed, 1 one failed, 2 one could not run (or a
shard is missing).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			suites, err := mergeShards(args, out)
			if err != nil {
				return cannotRun(err)
			}
			if err := writeSummary(out, suites); err != nil {
				return cannotRun(err)
			}
			if err := reports.SummaryText(cmd.OutOrStdout(), suites); err != nil {
				return cannotRun(err)
			}
			return nightlyExit(suites)
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "write the merged results and summary into `DIR` (created if missing)")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// mergeShards reads the shards' manifests and results, checks that they
// are the shards of one suite, copies the per-scenario files into out and
// returns the suites in the suite's order.
func mergeShards(dirs []string, out string) ([]reports.Suite, error) {
	var all []shardSuite
	from := map[int]string{} // position → shard dir
	seen := map[int]string{}
	of, total := 0, 0
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, shardFile))
		if err != nil {
			return nil, fmt.Errorf("%s: not the --out of a sharded run (%w)", dir, err)
		}
		var m shardManifest
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, shardFile), err)
		}
		if of == 0 {
			of, total = m.Of, m.Total
		}
		if m.Of != of || m.Total != total {
			return nil, fmt.Errorf("%s is shard %d/%d of %d scenarios, %s one of %d shards of %d: not one suite", dir, m.Shard, m.Of, m.Total, dirs[0], of, total)
		}
		if prev, dup := seen[m.Shard]; dup {
			return nil, fmt.Errorf("%s and %s are both shard %d/%d", prev, dir, m.Shard, m.Of)
		}
		seen[m.Shard] = dir
		for _, s := range m.Suites {
			all = append(all, s)
			from[s.Pos] = dir
		}
	}
	var missing []string
	for i := 1; i <= of; i++ {
		if seen[i] == "" {
			missing = append(missing, fmt.Sprintf("%d/%d", i, of))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("shards missing: %s", strings.Join(missing, ", "))
	}
	if len(all) != total {
		return nil, fmt.Errorf("the shards hold %d scenarios, the suite has %d", len(all), total)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("create --out: %w", err)
	}
	sort.Slice(all, func(a, b int) bool { return all[a].Pos < all[b].Pos })
	suites := make([]reports.Suite, 0, len(all))
	for _, s := range all {
		suite := reports.Suite{Name: s.Name, Path: s.Path, Err: s.Err, Baseline: s.Baseline, Report: s.Report}
		if s.HasResult {
			dir := from[s.Pos]
			r, err := reports.ReadJSON(filepath.Join(dir, s.Name+".json"))
			if err != nil {
				return nil, err
			}
			suite.Result = r
			if err := copyOutputs(dir, out, s.Name); err != nil {
				return nil, err
			}
		}
		suites = append(suites, suite)
	}
	return suites, nil
}

// copyOutputs copies a scenario's result and reports from one --out
// directory to another (the same directory: nothing to do).
func copyOutputs(from, to, stem string) error {
	if a, b := filepath.Clean(from), filepath.Clean(to); a == b {
		return nil
	}
	for _, ext := range []string{".json", ".md", ".html"} {
		b, err := os.ReadFile(filepath.Join(from, stem+ext))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(to, stem+ext), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
