package scenarios

import "testing"

const sweepScenario = `name: swept
schema:
  sql: |
    CREATE TABLE users (id bigint PRIMARY KEY, name text);
    CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users);
data:
  tables: {users: {rows: 20k}, orders: {rows: 100_000}}
  sweep: {sizes: [250k, 1M, 4M], at: 100M}
traffic:
  old:
    rate: 10
    queries: [{name: get, sql: "SELECT name FROM users WHERE id = $1", args: [{ref: users.id}]}]
migration:
  steps: [{name: add, sql: "ALTER TABLE users ADD COLUMN email text"}]
`

func TestSweepKeys(t *testing.T) {
	t.Parallel()
	s, err := Parse([]byte(sweepScenario), "s.yaml")
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "users rows", s.Data.Tables["users"].Rows, Count(20_000))
	eq(t, "sizes", len(s.Data.Sweep.Sizes), 3)
	eq(t, "size 2", s.Data.Sweep.Sizes[1], Count(1_000_000))
	eq(t, "at", s.Data.Sweep.At, Count(100_000_000))
	eq(t, "largest", s.Data.LargestTable(), "orders")
}

func TestSweepProblems(t *testing.T) {
	t.Parallel()
	checkProblems(t, sweepScenario, []problemCase{
		{"one size", "[250k, 1M, 4M]", "[1M]", "data.sweep.sizes: give at least 2 sizes"},
		{"not ascending", "[250k, 1M, 4M]", "[250k, 4M, 1M]", "data.sweep.sizes[2]: sizes go smallest first"},
		{"zero size", "[250k, 1M, 4M]", "[0, 1M, 4M]", "data.sweep.sizes[0]: must be at least 1 row"},
		{"at below sizes", "at: 100M", "at: 2M", "data.sweep.at: the production size must be at least the largest size swept (4000000)"},
		{"bad suffix", "at: 100M", "at: 100X", `invalid row count "100X"`},
		{"fraction", "at: 100M", "at: 1.5", "invalid row count"},
		{"no rows", "{users: {rows: 20k}, orders: {rows: 100_000}}", "{}", "none has rows"},
	})
}

func TestParseCount(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Count{
		"0": 0, "1000000": 1_000_000, "1_000_000": 1_000_000, "250k": 250_000, "250K": 250_000,
		"2.5M": 2_500_000, "1G": 1_000_000_000, "1B": 1_000_000_000, " 4M ": 4_000_000,
	} {
		got, err := ParseCount(in)
		if err != nil || got != want {
			t.Errorf("ParseCount(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "M", "-1", "1.5", "2.5k5", "1e400", "NaN", "4m", "1T"} {
		if got, err := ParseCount(in); err == nil {
			t.Errorf("ParseCount(%q) = %d, want an error", in, got)
		}
	}
}
