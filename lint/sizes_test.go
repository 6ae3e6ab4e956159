package lint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rehearse/rehearse/scenarios"
)

// A rewrite's severity follows the table's size once it is known.
func TestSizesSetSeverity(t *testing.T) {
	steps := buildSteps([]step{{sql: "ALTER TABLE users ALTER COLUMN balance TYPE bigint", lockTimeout: true}})
	tests := []struct {
		size TableSize
		want Severity
	}{
		{TableSize{Rows: 1_000, Bytes: 100 << 10}, Info},
		{TableSize{Rows: 500_000, Bytes: 80 << 20}, Warning},
		{TableSize{Rows: 100_000_000, Bytes: 20 << 30}, Error},
		{TableSize{Rows: 5_000, Bytes: 2 << 30}, Error}, // few rows, but wide: the bytes decide
	}
	for _, tc := range tests {
		f := Steps(steps, WithSchema(testSchema), WithSizes(map[string]TableSize{"users": tc.size}))
		if len(f) != 1 || f[0].Severity != tc.want || !f[0].Sized || f[0].Rows != tc.size.Rows || !strings.Contains(f[0].Message, " rows, ") {
			t.Errorf("size %+v: %+v, want severity %s", tc.size, f, tc.want)
		}
	}
	if f := Steps(steps, WithSchema(testSchema)); len(f) != 1 || f[0].Sized || f[0].Severity != Error {
		t.Errorf("without sizes: %+v, want the rule's severity and no size", f)
	}
	// A rule about breaking code does not depend on size.
	drop := buildSteps([]step{{sql: "ALTER TABLE users DROP COLUMN email", lockTimeout: true}})
	f := Steps(drop, WithSchema(testSchema), WithQueries(oldQueries...), WithSizes(map[string]TableSize{"users": {Rows: 10}}))
	if len(f) != 1 || f[0].Severity != Error || f[0].Sized {
		t.Errorf("drop-in-use with a tiny table: %+v, want error", f)
	}
}

// A scenario's data profile gives production's sizes to its findings.
func TestScenarioProfileSizes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("p.json", `{"rehearse_profile": 1, "created_at": "2026-12-01T00:00:00Z", "with_values": false,
  "tables": [{"name": "users", "rows": 2000, "pages": 20, "block_size": 8192}]}`)
	write("s.yaml", `name: x
schema: {sql: "CREATE TABLE users (id bigint PRIMARY KEY, balance integer)"}
data: {profile: p.json, scale: 0.01}
traffic:
  old:
    rate: 10
    queries: [{name: get, sql: "SELECT id FROM users WHERE id = $1", args: [{value: 1}]}]
migration:
  steps:
    - name: widen
      lock_timeout: 1s
      sql: ALTER TABLE users ALTER COLUMN balance TYPE bigint
`)
	sc, err := scenarios.Load(filepath.Join(dir, "s.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	f := Scenario(sc)
	if len(f) != 1 || !f[0].Sized || f[0].Rows != 2000 || f[0].Severity != Info {
		t.Errorf("findings %+v, want one info finding sized 2,000 rows", f)
	}
}
