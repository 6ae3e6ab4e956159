package scenarios

import (
	"fmt"
	"strings"
	"testing"
)

const distScenario = `name: distributions
schema:
  sql: |
    CREATE TABLE users (id bigserial PRIMARY KEY, name text NOT NULL, age int, score int, joined timestamptz);
    CREATE TABLE countries (code text PRIMARY KEY);
    INSERT INTO countries VALUES ('US'), ('DE');
    CREATE TABLE orders (id bigserial PRIMARY KEY, user_id bigint NOT NULL, country text);
data:
%s
traffic:
  old:
    rate: 10
    queries:
      - {name: get, sql: "SELECT * FROM users WHERE id = $1", args: [%s]}
migration:
  steps:
    - {name: expand, sql: "ALTER TABLE users ADD COLUMN full_name text"}
`

func parseDist(t *testing.T, data, arg string) error {
	t.Helper()
	_, err := Parse([]byte(fmt.Sprintf(distScenario, data, arg)), "dist.yaml")
	return err
}

func TestDistributionsAccepted(t *testing.T) {
	t.Parallel()
	data := `  vacuum: plain
  analyze: false
  tables:
    users:
      rows: 1000
      columns:
        age: {gen: number, min: 18, max: 90, dist: normal, mean: 35, stddev: 10}
        score: {gen: number, dist: zipf, exponent: 1.2, unique: false}
        joined: {gen: date, dist: recent, exponent: 2}
    orders:
      rows: 5000
      columns:
        user_id: {ref: users.id, hot: {keys: 0.01, share: 0.9}}
        country: {ref: countries.code, dist: sequential}`
	if err := parseDist(t, data, "{ref: users.id, dist: zipf}"); err != nil {
		t.Fatal(err)
	}
}

func TestDistributionProblems(t *testing.T) {
	t.Parallel()
	data := `  vacuum: sometimes
  tables:
    users:
      rows: 1000
      columns:
        name: {gen: name, dist: zipf}
        age: {gen: number, dist: normal, stddev: -1, exponent: 2}
        score: {gen: number, hot: {keys: 1.5, share: 2}, dist: zipf}
        joined: {gen: date, dist: recent, exponent: -1, unique: true}
    orders:
      rows: 5000
      columns:
        user_id: {ref: users.id, dist: pareto}
        country: {value: US, unique: true, dist: zipf}`
	err := parseDist(t, data, "{ref: users.id, dist: recent, unique: true}")
	if err == nil {
		t.Fatal("no error")
	}
	want := []string{
		`dist.yaml:9:11: data.vacuum: unknown mode "sometimes": use freeze (VACUUM (FREEZE), the default), plain or none`,
		`data.tables.users.columns.name.dist: gen: name has no order to shape; dist applies to number, price, date and ref`,
		`data.tables.users.columns.age.exponent: applies to dist zipf and recent only`,
		`data.tables.users.columns.age.stddev: must be > 0, got -1`,
		`data.tables.users.columns.score.hot: applies to dist hot only (and implies it): remove dist: zipf or hot`,
		`data.tables.users.columns.joined.unique: unique values cannot follow dist recent; use uniform or sequential`,
		`data.tables.users.columns.joined.exponent: must be between 0 (no skew) and 100, got -1`,
		`data.tables.orders.columns.user_id.dist: unknown distribution "pareto"`,
		`data.tables.orders.columns.country.unique: a constant (value:) cannot be unique`,
		`data.tables.orders.columns.country.dist: a constant (value:) has no distribution`,
		`traffic.old.queries[0].args[0].unique: applies to loaded columns only, not query arguments`,
		`traffic.old.queries[0].args[0].dist: recent applies to dates (gen: date) only`,
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
	// hot's own ranges, once dist no longer conflicts.
	data = strings.Replace(data, ", dist: zipf}\n        joined", "}\n        joined", 1)
	err = parseDist(t, data, "{ref: users.id}")
	for _, w := range []string{
		"data.tables.users.columns.score.hot.keys: must be between 0 and 1",
		"data.tables.users.columns.score.hot.share: must be between 0 and 1",
	} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
}

// Columns the scenario does not describe get values from the catalog when
// the data loads, and refs may draw from rows the schema inserts.
func TestUndescribedColumnsAndSchemaRowsAreFine(t *testing.T) {
	t.Parallel()
	data := `  tables:
    users: {rows: 1000}
    orders: {rows: 10, columns: {country: {ref: countries.code}}}`
	if err := parseDist(t, data, "{ref: users.id}"); err != nil {
		t.Fatal(err)
	}
	data = `  tables:
    orders: {rows: 10, columns: {user_id: {ref: users.id}}}`
	err := parseDist(t, data, "{ref: users.id}")
	if err == nil || !strings.Contains(err.Error(), "data.tables.orders.columns.user_id.ref: table users gets no rows: add it under data.tables with rows > 0 (or insert rows in the schema)") {
		t.Errorf("got %v", err)
	}
}
