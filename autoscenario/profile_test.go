package autoscenario

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rehearse/rehearse/scenarios"
)

// prodProfile is a profile with statements (rehearse profile --statements):
// two tables and production's three statements on them, 100 calls/s.
const prodProfile = `{
  "rehearse_profile": 1,
  "server_version": "15.18",
  "created_at": "2026-12-02T16:00:00Z",
  "with_values": false,
  "tables": [
    {"name": "users", "rows": 300, "pages": 4, "block_size": 8192, "columns": [
      {"name": "id", "type": "bigint", "null_frac": 0, "n_distinct": -1, "avg_width": 8, "correlation": 1},
      {"name": "status", "type": "text", "null_frac": 0, "n_distinct": 3, "avg_width": 5, "correlation": 0.3}
    ]},
    {"name": "orders", "rows": 900, "pages": 8, "block_size": 8192, "columns": [
      {"name": "id", "type": "bigint", "null_frac": 0, "n_distinct": -1, "avg_width": 8, "correlation": 1},
      {"name": "user_id", "type": "bigint", "null_frac": 0, "n_distinct": 250, "avg_width": 8, "correlation": 0.02}
    ]}
  ],
  "statements_window": {"seconds": 60, "total_calls_per_s": 100, "covered_share": 1},
  "statements": [
    {"query": "SELECT id, status FROM users WHERE id = $1", "calls_per_s": 60, "mean_ms": 0.02, "stddev_ms": 0.01, "rows_per_call": 1},
    {"query": "SELECT id FROM orders WHERE user_id = $1 ORDER BY id DESC LIMIT $2", "calls_per_s": 30, "mean_ms": 0.06, "stddev_ms": 0.05, "rows_per_call": 3},
    {"query": "UPDATE users SET status = $1 WHERE id = $2", "calls_per_s": 10, "mean_ms": 0.09, "stddev_ms": 0.05, "rows_per_call": 1}
  ]
}
`

var prodFiles = map[string]string{
	"001_init.sql": "CREATE TABLE users (id bigint PRIMARY KEY, status text NOT NULL);\n" +
		"CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users);",
	"002_index.sql": "CREATE INDEX orders_user_id ON orders (user_id);",
}

// With statements in --profile, the old code is production's workload:
// from_profile, scaled to --rate, none of the inferred queries.
func TestProfileStatementsBecomeOldTraffic(t *testing.T) {
	root := t.TempDir()
	dir := writeDir(t, root, prodFiles)
	prof := filepath.Join(root, "prod.json")
	if err := os.WriteFile(prof, []byte(prodProfile), 0o644); err != nil {
		t.Fatal(err)
	}
	p := build(t, dir, Options{Profile: prof, Rate: 50})
	old := p.Scenario.Traffic.Old
	if old == nil || old.FromProfile == nil {
		t.Fatalf("old workload %s: want from_profile", jsonOf(t, old))
	}
	if old.FromProfile.File != "prod.json" {
		t.Errorf("from_profile.file %q, want prod.json (relative to the scenario)", old.FromProfile.File)
	}
	if old.Rate != 50 {
		t.Errorf("old rate %g, want 50 (--rate; production ran 100/s)", old.Rate)
	}
	for _, q := range old.Queries {
		if q.Profiled == nil {
			t.Errorf("old query %s is not one of the profile's statements", q.Name)
		}
	}
	if len(old.Queries) != 3 {
		t.Errorf("old queries %d, want the profile's 3", len(old.Queries))
	}
	if p.Scenario.Traffic.New != nil {
		t.Errorf("new workload %s: an index adds nothing the new code uses", jsonOf(t, p.Scenario.Traffic.New))
	}
	notes := strings.Join(p.Notes, "\n")
	if !strings.Contains(notes, "3 statements of the profile") || !strings.Contains(notes, "replace the inferred queries") {
		t.Errorf("notes do not say the old traffic is the profile's:\n%s", notes)
	}
	text := p.YAML("rehearse init migrations --profile prod.json")
	loaded, err := scenarios.Parse(text, p.Scenario.Path)
	if err != nil {
		t.Fatalf("written scenario does not load: %v\n%s", err, text)
	}
	if got := loaded.Traffic.Old; got == nil || got.FromProfile == nil || got.Rate != 50 || len(got.Queries) != 3 {
		t.Errorf("written scenario's old workload %s, want from_profile at 50/s\n%s", jsonOf(t, got), text)
	}
}

// A profile without statements changes only the data: the old code's
// queries are still inferred.
func TestProfileWithoutStatementsKeepsInferredTraffic(t *testing.T) {
	root := t.TempDir()
	dir := writeDir(t, root, prodFiles)
	prof := filepath.Join(root, "prod.json")
	noStmts := prodProfile[:strings.Index(prodProfile, `  "statements_window"`)]
	noStmts = strings.TrimSuffix(noStmts, ",\n") + "\n}\n"
	if err := os.WriteFile(prof, []byte(noStmts), 0o644); err != nil {
		t.Fatal(err)
	}
	p := build(t, dir, Options{Profile: prof})
	old := p.Scenario.Traffic.Old
	if old == nil || old.FromProfile != nil || len(old.Queries) == 0 {
		t.Fatalf("old workload %s: want inferred queries", jsonOf(t, old))
	}
}

// A statement whose parameter cannot be bound cannot be fixed on the
// command line: the error says to write the scenario and fix it there.
func TestProfileUnboundParameterSaysInit(t *testing.T) {
	root := t.TempDir()
	dir := writeDir(t, root, prodFiles)
	prof := filepath.Join(root, "prod.json")
	unbound := strings.Replace(prodProfile, "WHERE id = $1", "WHERE lower(status) = $1", 1)
	if err := os.WriteFile(prof, []byte(unbound), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Build(dir, Options{Profile: prof, ScenarioPath: filepath.Join(root, "rehearse.yaml")})
	if err == nil || !strings.Contains(err.Error(), "select_users_1 $1") || !strings.Contains(err.Error(), "rehearse init") {
		t.Fatalf("Build: %v, want the unbound parameter and rehearse init named", err)
	}
}
