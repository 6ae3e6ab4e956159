package rehearse_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rehearse/rehearse/rehearse"
	"github.com/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
)

const prodProfile = `{
  "rehearse_profile": 1,
  "created_at": "2026-01-01T00:00:00Z",
  "with_values": false,
  "tables": [
    {"name": "users", "rows": 4000, "pages": 40, "columns": [{"name": "status", "type": "text", "null_frac": 0, "n_distinct": 3, "avg_width": 4}]},
    {"name": "orders", "rows": 8000, "pages": 80, "columns": []}
  ],
  "statements_window": {"seconds": 60, "total_calls_per_s": 200, "covered_share": 1},
  "statements": [
    {"query": "SELECT id, email FROM users WHERE id = $1", "calls_per_s": 100, "mean_ms": 0.05, "stddev_ms": 0.01, "rows_per_call": 1},
    {"query": "SELECT count(*) FROM users WHERE status = $1", "calls_per_s": 20, "mean_ms": 0.5, "stddev_ms": 0.1, "rows_per_call": 1},
    {"query": "SELECT * FROM orders WHERE user_id = ANY($1) ORDER BY id LIMIT $2", "calls_per_s": 40, "mean_ms": 0.2, "stddev_ms": 0.1, "rows_per_call": 3},
    {"query": "INSERT INTO orders (user_id, total) VALUES ($1, $2)", "calls_per_s": 20, "mean_ms": 0.1, "stddev_ms": 0.05, "rows_per_call": 1},
    {"query": "UPDATE users SET status = $1 WHERE id = $2", "calls_per_s": 20, "mean_ms": 0.1, "stddev_ms": 0.05, "rows_per_call": 1},
    {"query": "INSERT INTO orders (id, user_id, total) VALUES ($1, $2, $3)", "calls_per_s": 10, "mean_ms": 0.1, "stddev_ms": 0.05, "rows_per_call": 1}
  ]
}`

const fromProfileRun = `name: production-shaped traffic
postgres:
  settings: {shared_preload_libraries: pg_stat_statements}
schema:
  sql: |
    CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL, status text NOT NULL);
    CREATE TABLE orders (id bigserial PRIMARY KEY, user_id bigint NOT NULL REFERENCES users, total numeric(10,2));
data:
  profile: prod.json
  scale: 0.5
traffic:
  old:
    rate: 10
    from_profile: {file: prod.json, scale: 0.5}
    queries:
      - name: checkout
        args: [{ref: users.id}]
        transaction:
          - {name: lock, sql: "SELECT id FROM users WHERE id = $1 FOR UPDATE"}
          - {name: add, sql: "INSERT INTO orders (user_id, total) VALUES ($1, 1)"}
migration:
  steps: [{name: expand, sql: "ALTER TABLE users ADD COLUMN note text"}]
phases: {baseline: 1s, cooldown: 1s}
`

// TestFromProfileRun rehearses a scenario whose old code is a profile's
// statements beside a hand-written transaction: every statement runs, with
// arguments the server accepts.
func TestFromProfileRun(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{"prod.json": prodProfile, "s.yaml": fromProfileRun} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sc, err := scenarios.Load(filepath.Join(dir, "s.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Traffic.Old.Rate != 115 {
		t.Fatalf("rate %v, want 10 written + 210 × 0.5", sc.Traffic.Old.Rate)
	}
	p := &trackingLocal{}
	res, err := rehearse.Run(context.Background(), sc, rehearse.WithProvider(p))
	if err != nil {
		t.Fatal(err)
	}
	p.assertNothingLeft(t)
	if res.Status != result.StatusCompleted {
		t.Fatalf("status %s: %s", res.Status, res.Error)
	}
	w := findWorkload(t, res, "old")
	seen := map[string]bool{}
	for _, q := range w.Queries {
		seen[q.Name] = true
		if q.Count == 0 || q.Errors != 0 {
			t.Errorf("query %s: %d runs, %d errors (%v), want runs and no errors", q.Name, q.Count, q.Errors, q.FirstError)
		}
		switch p := q.Production; {
		case q.Name == "checkout" && p != nil:
			t.Errorf("the hand-written transaction has production figures %+v", p)
		case q.Name != "checkout" && (p == nil || p.TargetCallsPerS != p.CallsPerS*0.5 || p.MeanMS == 0 || p.LatencyRatio == 0):
			t.Errorf("query %s: production %+v, want production's figures, the target at scale 0.5 and a latency ratio", q.Name, p)
		case q.Name != "checkout" && (p.Basis != "server" || p.ServerMeanMS <= 0):
			t.Errorf("query %s: production %+v, want the rehearsal server's own mean (pg_stat_statements is loaded)", q.Name, p)
		}
	}
	for _, name := range []string{"select_users_1", "select_orders_2", "select_users_3", "insert_orders_4", "update_users_5", "insert_orders_6", "checkout"} {
		if !seen[name] {
			t.Errorf("no query %s in %v", name, seen)
		}
	}
}
