package scenarios

import (
	"math"
	"strings"
	"testing"
)

const stmtsProfile = `{
  "rehearse_profile": 1,
  "created_at": "2026-01-01T00:00:00Z",
  "with_values": false,
  "tables": [
    {"name": "users", "rows": 1000, "pages": 10, "columns": []},
    {"name": "orders", "rows": 5000, "pages": 40, "columns": []}
  ],
  "statements_window": {"seconds": 60, "total_calls_per_s": 200, "covered_share": 1},
  "statements": [
    {"query": "INSERT INTO orders (user_id, total) VALUES ($1, $2)", "calls_per_s": 40, "mean_ms": 0.2, "stddev_ms": 0.1, "rows_per_call": 1},
    {"query": "SELECT * FROM users WHERE id = $1", "calls_per_s": 120, "mean_ms": 0.05, "stddev_ms": 0.01, "rows_per_call": 1},
    {"query": "SELECT * FROM orders WHERE user_id = ANY($1) ORDER BY id LIMIT $2", "calls_per_s": 40, "mean_ms": 1.5, "stddev_ms": 0.5, "rows_per_call": 8}
  ]
}`

const fromProfileScenario = `name: production traffic
schema:
  sql: |
    CREATE TABLE users (id bigint PRIMARY KEY, email text);
    CREATE TABLE orders (id bigserial PRIMARY KEY, user_id bigint REFERENCES users, total numeric);
data:
  profile: profile.json
  scale: 0.1
traffic:
  old:
    from_profile: {file: profile.json, scale: 0.5}
migration:
  steps: [{name: s, sql: "ALTER TABLE users ADD COLUMN note text"}]
`

func TestFromProfile(t *testing.T) {
	t.Parallel()
	s, err := writeScenario(t, fromProfileScenario, stmtsProfile)
	if err != nil {
		t.Fatal(err)
	}
	w := s.Traffic.Old
	eq(t, "rate: profile total × scale", w.Rate, 100.0)
	if len(w.Queries) != 3 {
		t.Fatalf("queries %+v", w.Queries)
	}
	q := w.Queries[0]
	eq(t, "most called first", q.Name, "select_users_1")
	eq(t, "weight in calls/s", q.Weight, 60.0)
	eq(t, "arg", *q.Args[0], ValueSpec{Ref: "users.id", Dist: DistStats})
	any := w.Queries[2]
	eq(t, "ANY name", any.Name, "select_orders_3")
	eq(t, "array arg", *any.Args[0], ValueSpec{Ref: "orders.user_id", Dist: DistStats, Array: ProfileArraySize})
	eq(t, "LIMIT", any.Args[1].Value, any2(ProfileLimit))
	eq(t, "profiled mean", any.Profiled.MeanMS, 1.5)

	// Validating again gives the same workload.
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	eq(t, "rate after a second validation", w.Rate, 100.0)
	eq(t, "queries after a second validation", len(w.Queries), 3)
}

func any2(v any) any { return v }

// TestFromProfileBesideQueries keeps written queries (a transaction among
// them) at their rate beside the profile's.
func TestFromProfileBesideQueries(t *testing.T) {
	t.Parallel()
	sc := strings.Replace(fromProfileScenario, `    from_profile: {file: profile.json, scale: 0.5}`, `    rate: 20
    from_profile: {file: profile.json, top: 2}
    queries:
      - {name: report, weight: 3, sql: "SELECT count(*) FROM orders"}
      - name: checkout
        weight: 1
        args: [{ref: users.id}]
        transaction:
          - {name: lock, sql: "SELECT id FROM users WHERE id = $1 FOR UPDATE"}
          - {name: add, sql: "INSERT INTO orders (user_id, total) VALUES ($1, 10)"}`, 1)
	s, err := writeScenario(t, sc, stmtsProfile)
	if err != nil {
		t.Fatal(err)
	}
	w := s.Traffic.Old
	eq(t, "rate: written + profile's top 2", w.Rate, 20.0+160)
	eq(t, "queries", len(w.Queries), 4)
	total := 0.0
	for _, q := range w.Queries {
		total += q.Weight
	}
	share := func(i int) float64 { return w.Queries[i].Weight / total * w.Rate }
	for i, want := range []float64{15, 5, 120, 40} {
		if math.Abs(share(i)-want) > 1e-9 {
			t.Errorf("%s: %.3f/s, want %v", w.Queries[i].Name, share(i), want)
		}
	}
	if !w.Queries[1].IsTransaction() {
		t.Error("the transaction entry is gone")
	}
}

func TestFromProfileProblems(t *testing.T) {
	t.Parallel()
	unbindable := strings.Replace(stmtsProfile, `"SELECT * FROM users WHERE id = $1"`, `"SELECT * FROM users WHERE lower(email) = $1 AND id > $2"`, 1)
	for _, tc := range []struct {
		name, from, to, profile string
		want                    []string
	}{
		{"unbound", "", "", unbindable, []string{
			"traffic.old.from_profile: cannot bind 1 parameter to a column",
			"select_users_1 $1", "args_override: {select_users_1: {1: {gen: number}}}"}},
		{"override binds it", "scale: 0.5}", "scale: 0.5, args_override: {select_users_1: {1: {gen: email}}}}", unbindable, nil},
		{"unknown override", "scale: 0.5}", "scale: 0.5, args_override: {select_user_1: {1: {gen: email}}}}", stmtsProfile,
			[]string{`no statement "select_user_1"`, "select_users_1"}},
		{"override out of range", "scale: 0.5}", "scale: 0.5, args_override: {select_users_1: {3: {gen: email}}}}", stmtsProfile,
			[]string{"select_users_1 has parameters $1..$1, not 3"}},
		{"no statements", "", "", testProfile, []string{"has no statements: profile the database with rehearse profile --statements"}},
		{"rate without queries", "    from_profile:", "    rate: 5\n    from_profile:", stmtsProfile, []string{"comes from the profile"}},
		{"bad scale", "scale: 0.5", "scale: -1", stmtsProfile, []string{"traffic.old.from_profile.scale: must be > 0"}},
		{"unloaded table", "  profile: profile.json\n  scale: 0.1\n", "  tables: {users: {rows: 10}}\n", stmtsProfile,
			[]string{"tables that get no rows: orders (insert_orders_2)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sc := fromProfileScenario
			if tc.from != "" {
				sc = strings.Replace(sc, tc.from, tc.to, 1)
			}
			_, err := writeScenario(t, sc, tc.profile)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
		})
	}
}
