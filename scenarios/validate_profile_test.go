package scenarios

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const profiledScenario = `name: from a profile
schema:
  sql: |
    CREATE TABLE users (id bigserial PRIMARY KEY, email text);
    CREATE TABLE orders (id bigserial PRIMARY KEY, user_id bigint, total numeric);
    CREATE TABLE audit (id bigserial PRIMARY KEY);
data:
  profile: profile.json
  scale: 0.1
  tables:
    orders: {columns: {total: {gen: price}}}
    audit: {rows: 7}
traffic:
  old: {rate: 10, queries: [{name: q, sql: "SELECT 1"}]}
migration:
  steps: [{name: s, sql: "SELECT 1"}]
`

const testProfile = `{
  "rehearse_profile": 1,
  "created_at": "2026-01-01T00:00:00Z",
  "with_values": false,
  "tables": [
    {"name": "users", "rows": 1000, "pages": 10, "columns": [{"name": "email", "type": "text", "null_frac": 0.1, "n_distinct": -1, "avg_width": 20, "correlation": 0.1}]},
    {"name": "public.orders", "rows": 5005, "pages": 40, "columns": []},
    {"name": "audit", "rows": 99, "pages": 1, "columns": []}
  ]
}`

// writeScenario writes the scenario and profile into a fresh directory and
// parses the scenario.
func writeScenario(t *testing.T, scenario, profile string) (*Scenario, error) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "profile.json"), []byte(profile), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "s.yaml")
	return Parse([]byte(scenario), path)
}

func TestProfileAddsTables(t *testing.T) {
	t.Parallel()
	s, err := writeScenario(t, profiledScenario, testProfile)
	if err != nil {
		t.Fatal(err)
	}
	d := s.Data
	if d.ProfileData == nil || d.Scale != 0.1 || len(d.Tables) != 3 {
		t.Fatalf("data %+v", d)
	}
	eq(t, "users rows (profile × scale)", d.Tables["users"].Rows, Count(100))
	eq(t, "orders rows (listed without rows)", d.Tables["orders"].Rows, Count(501))
	eq(t, "orders keeps its columns", d.Tables["orders"].Columns["total"].Gen, "price")
	eq(t, "audit keeps its rows", d.Tables["audit"].Rows, Count(7))
	eq(t, "load order", strings.Join(s.LoadOrder(), ","), "audit,orders,users")

	s, err = writeScenario(t, strings.Replace(profiledScenario, "  scale: 0.1\n", "", 1), testProfile)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "default scale", s.Data.Scale, 1.0)
	eq(t, "users rows at scale 1", s.Data.Tables["users"].Rows, Count(1000))
}

func TestProfileProblems(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		from, to string
		profile  string
		want     string
	}{
		{name: "outside the directory", from: "profile: profile.json", to: "profile: ../profile.json", want: "outside the scenario file's directory"},
		{name: "absolute", from: "profile: profile.json", to: "profile: /etc/passwd", want: "give a path relative"},
		{name: "missing file", from: "profile: profile.json", to: "profile: nope.json", want: "cannot read nope.json"},
		{name: "scale zero", from: "scale: 0.1", to: "scale: 0", want: "data.scale: must be > 0"},
		{name: "scale without profile", from: "  profile: profile.json\n", to: "", want: "data.scale: applies only with data.profile"},
		{name: "unknown key", profile: strings.Replace(testProfile, `"pages": 1,`, `"pagez": 1,`, 1), want: `unknown field "pagez"`},
		{name: "not JSON", profile: "{", want: "decode profile"},
		{name: "format", profile: strings.Replace(testProfile, `"rehearse_profile": 1`, `"rehearse_profile": 9`, 1), want: "profile format 9"},
		{name: "table not in the schema", profile: strings.Replace(testProfile, `"name": "audit"`, `"name": "audits"`, 1), want: "profiled table audits is not in the schema"},
		{name: "never analysed", profile: strings.Replace(testProfile, `"rows": 99`, `"rows": -1`, 1), want: "table audit has no row estimate"},
		{name: "null_frac", profile: strings.Replace(testProfile, `"null_frac": 0.1`, `"null_frac": 1.5`, 1), want: "null_frac 1.5 is outside 0..1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			scenario, profile := profiledScenario, testProfile
			if tc.from != "" || tc.to != "" {
				scenario = strings.Replace(scenario, tc.from, tc.to, 1)
			}
			if tc.profile != "" {
				profile = tc.profile
			}
			_, err := writeScenario(t, scenario, profile)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), "s.yaml:") {
				t.Errorf("error does not point into the scenario: %v", err)
			}
		})
	}
}
