package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// stepSummary is a step's name and whether it runs in a transaction.
func stepSummary(steps []*Step) string {
	var out []string
	for _, st := range steps {
		s := st.Name
		if !st.InTransaction() {
			s += " (no tx)"
		}
		out = append(out, s)
	}
	return strings.Join(out, ", ")
}

func TestLoadMigrationDirectories(t *testing.T) {
	tests := []struct {
		file, baseline, steps string
	}{
		{"golang-migrate.yaml",
			"000001_create_users, 000002_users_updated_at_trigger",
			"000003_index_users_email (no tx), 000004_add_users_api_token"},
		{"goose.yaml",
			"20240105093000_create_accounts, 20240112150000_accounts_touch_function, 20240201120000_seed_admin, 20240215080000_index_accounts_email (no tx)",
			"20240301100000_require_accounts_plan"},
		{"flyway.yaml",
			"V1__create_products, V1_1__add_products_sku, R__cheap_products",
			"V2__index_products_sku (no tx), V10__product_search"},
		{"dbmate.yaml",
			"20240101000000_create_posts",
			"20240102000000_index_posts_author (no tx), 20240103000000_posts_slug"},
		{"sql.yaml",
			"1_schema, 2_event_kinds",
			"9_index_events_kind (no tx), 10_events_created_at (no tx)"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			s, err := Load(filepath.Join("migrations", "testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			eq(t, "baseline", stepSummary(s.Baseline), tc.baseline)
			eq(t, "steps", stepSummary(s.Migration.Steps), tc.steps)
			for _, st := range s.Baseline {
				if !strings.Contains(s.SchemaSQL, st.SQL) {
					t.Errorf("SchemaSQL lacks %s", st.Name)
				}
			}
			// Validate on the loaded scenario neither reads the directory
			// again nor doubles the steps.
			n := len(s.Migration.Steps)
			if err := s.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			eq(t, "steps after Validate", len(s.Migration.Steps), n)
		})
	}
}

// SchemaPos maps an offset in the joined baseline to the file and line the
// statement came from, and each step's SQLPos to its own file.
func TestMigrationPositions(t *testing.T) {
	s, err := Load(filepath.Join("migrations", "testdata", "goose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("migrations", "testdata", "goose")
	off := strings.Index(s.SchemaSQL, "CREATE TRIGGER accounts_touch")
	eq(t, "schema pos", s.SchemaPos(off).String(), filepath.Join(dir, "20240112150000_accounts_touch_function.sql")+":13:1")
	off = strings.Index(s.SchemaSQL, "CREATE INDEX CONCURRENTLY")
	eq(t, "schema pos", s.SchemaPos(off).String(), filepath.Join(dir, "20240215080000_index_accounts_email.sql")+":3:1")
	st := s.Migration.Steps[0]
	off = strings.Index(st.SQL, "ALTER COLUMN plan")
	eq(t, "step pos", st.SQLPos(off).String(), filepath.Join(dir, "20240301100000_require_accounts_plan.sql")+":6:22")
	eq(t, "schema file", s.SchemaFile, filepath.Join("migrations", "testdata", "goose"))
}

func TestMigrationVersionsKeepTheirText(t *testing.T) {
	s, err := Load(filepath.Join("migrations", "testdata", "golang-migrate.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "to", s.Schema.Migrations.To, MigrationVersion("000002"))
	eq(t, "from", s.Migration.Migrations.From, MigrationVersion("2"))
	eq(t, "flyway to", mustLoad(t, filepath.Join("migrations", "testdata", "flyway.yaml")).Schema.Migrations.To, MigrationVersion("1.1"))
}

func mustLoad(t *testing.T, path string) *Scenario {
	t.Helper()
	s, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// migrationScenario writes a scenario and its migration files into a
// temporary directory and loads it.
func migrationScenario(t *testing.T, yaml string, files map[string]string) (string, error) {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	return dir, err
}

const migrationTraffic = `
traffic:
  old: {rate: 10, queries: [{name: q, sql: "SELECT 1"}]}
`

func TestMigrationDirectoryProblems(t *testing.T) {
	base := map[string]string{
		"db/00001_init.sql": "-- +goose Up\nCREATE TABLE t (id int);\n",
	}
	with := func(extra map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range base {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	tests := []struct {
		name  string
		yaml  string
		files map[string]string
		want  []string // lines of the error, with DIR for the temporary directory
	}{
		{"goose would split a DO block",
			"name: x\nschema: {migrations: {dir: db, to: 1}}\nmigration: {migrations: {dir: db}}" + migrationTraffic,
			with(map[string]string{"db/00002_do.sql": "-- +goose Up\nDO $$\nBEGIN\n  PERFORM 1;\nEND\n$$;\n"}),
			[]string{"DIR/db/00002_do.sql:2:1: goose would end this statement at line 4, where a line ends with ';': wrap it in -- +goose StatementBegin and -- +goose StatementEnd"}},
		{"concurrently in a goose transaction",
			"name: x\nschema: {migrations: {dir: db, to: 1}}\nmigration: {migrations: {dir: db}}" + migrationTraffic,
			with(map[string]string{"db/00002_idx.sql": "-- +goose Up\n-- an index\nCREATE INDEX CONCURRENTLY i ON t (id);\n"}),
			[]string{"DIR/db/00002_idx.sql:3:1: CREATE INDEX CONCURRENTLY cannot run inside a transaction, and goose runs this file in one: add -- +goose NO TRANSACTION to the file"}},
		{"concurrently beside other statements in golang-migrate",
			"name: x\nschema: {sql: 'CREATE TABLE t (id int)'}\nmigration: {migrations: {dir: m}}" + migrationTraffic,
			map[string]string{"m/1_idx.up.sql": "ALTER TABLE t ADD COLUMN v int;\nCREATE INDEX CONCURRENTLY i ON t (v);\n"},
			[]string{"DIR/m/1_idx.up.sql:2:1: CREATE INDEX CONCURRENTLY cannot run inside a transaction, and golang-migrate sends this file as one query, which PostgreSQL runs as one: put it in a migration file of its own"}},
		{"syntax error in a file",
			"name: x\nschema: {migrations: {dir: db}}\nmigration: {steps: [{name: s, sql: SELECT 1}]}" + migrationTraffic,
			with(map[string]string{"db/00002_bad.sql": "-- +goose Up\nALTER TABLE t\n  ADD COLUMN v itn int;\n"}),
			[]string{`DIR/db/00002_bad.sql:3:20: syntax error at or near "int"`}},
		{"outside the scenario's directory",
			"name: x\nschema: {migrations: {dir: ../elsewhere}}\nmigration: {steps: [{name: s, sql: SELECT 1}]}" + migrationTraffic,
			nil,
			[]string{"DIR/s.yaml:2:28: schema.migrations.dir: ../elsewhere is outside the scenario file's directory; scenarios may only read files beside them"}},
		{"unknown version",
			"name: x\nschema: {migrations: {dir: db, to: 7}}\nmigration: {steps: [{name: s, sql: SELECT 1}]}" + migrationTraffic,
			base,
			[]string{"DIR/s.yaml:2:36: schema.migrations.to: no migration of version 7 in DIR/db (versions: 00001)"}},
		{"not a version",
			"name: x\nschema: {migrations: {dir: db, to: latest}}\nmigration: {steps: [{name: s, sql: SELECT 1}]}" + migrationTraffic,
			base,
			[]string{`DIR/s.yaml:2:36: schema.migrations.to: "latest" is not a version: give the number at the start of a migration file's name (41, 20240105093000, 1.1)`}},
		{"steps and migrations",
			"name: x\nschema: {migrations: {dir: db, to: 1}}\nmigration: {migrations: {dir: db}, steps: [{name: s, sql: SELECT 1}]}" + migrationTraffic,
			base,
			[]string{"DIR/s.yaml:3:36: migration.steps: give either steps or migrations, not both"}},
		{"file and migrations",
			"name: x\nschema: {file: s.sql, migrations: {dir: db}}\nmigration: {steps: [{name: s, sql: SELECT 1}]}" + migrationTraffic,
			base,
			[]string{"DIR/s.yaml:2:1: schema: give one of file, sql or migrations"}},
		{"from is not the baseline's to",
			"name: x\nschema: {migrations: {dir: db, to: 1}}\nmigration: {migrations: {from: 2}}" + migrationTraffic,
			with(map[string]string{"db/00002_a.sql": "-- +goose Up\nSELECT 1;\n", "db/00003_b.sql": "-- +goose Up\nSELECT 1;\n"}),
			[]string{"DIR/s.yaml:3:32: migration.migrations.from: must be schema.migrations.to (1): the baseline is the same directory up to that version"}},
		{"nothing to rehearse",
			"name: x\nschema: {migrations: {dir: db, to: 1}}\nmigration: {migrations: {dir: db}}" + migrationTraffic,
			base,
			[]string{"DIR/s.yaml:3:13: migration.migrations: no migrations to rehearse: DIR/db has none after version 1"}},
		{"a goose Go migration",
			"name: x\nschema: {migrations: {dir: db, to: 1}}\nmigration: {migrations: {dir: db}}" + migrationTraffic,
			with(map[string]string{"db/00002_go.go": "package db\n"}),
			[]string{"DIR/db/00002_go.go: a goose migration written in Go cannot be rehearsed: only SQL migrations can"}},
		{"a goose file without Up",
			"name: x\nschema: {migrations: {dir: db}}\nmigration: {steps: [{name: s, sql: SELECT 1}]}" + migrationTraffic,
			with(map[string]string{"db/00002_x.sql": "-- +goose Up\nSELECT 1;\n-- +goose Up\n"}),
			[]string{"DIR/db/00002_x.sql:3: a second -- +goose Up"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, err := migrationScenario(t, tc.yaml, tc.files)
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("error %v (%T), want a *scenarios.Error", err, err)
			}
			got := strings.ReplaceAll(err.Error(), dir, "DIR")
			if want := strings.Join(tc.want, "\n"); got != want {
				t.Errorf("error\n got: %s\nwant: %s", got, want)
			}
		})
	}
}

// A scenario may start from a SQL schema and rehearse a directory's files
// from the beginning, and the baseline defaults to the whole directory.
func TestMigrationDefaults(t *testing.T) {
	files := map[string]string{
		"m/1_a.up.sql": "CREATE TABLE a (id int);",
		"m/2_b.up.sql": "ALTER TABLE t ADD COLUMN v int",
	}
	yaml := "name: x\nschema: {sql: 'CREATE TABLE t (id int)'}\nmigration: {migrations: {dir: m}}" + migrationTraffic
	dir, err := migrationScenario(t, yaml, files)
	if err != nil {
		t.Fatal(err)
	}
	s := mustLoad(t, filepath.Join(dir, "s.yaml"))
	eq(t, "steps", stepSummary(s.Migration.Steps), "1_a, 2_b")
	eq(t, "no baseline steps", len(s.Baseline), 0)

	yaml = "name: x\nschema: {migrations: {dir: m}}\nmigration: {steps: [{name: s, sql: 'ALTER TABLE a ADD COLUMN w int'}]}" + migrationTraffic
	files["m/0_t.up.sql"] = "CREATE TABLE t (id int)"
	dir, err = migrationScenario(t, yaml, files)
	if err != nil {
		t.Fatal(err)
	}
	s = mustLoad(t, filepath.Join(dir, "s.yaml"))
	eq(t, "baseline", stepSummary(s.Baseline), "0_t, 1_a, 2_b")
}

func TestMigrationStepsForLint(t *testing.T) {
	steps, err := MigrationSteps(filepath.Join("migrations", "testdata", "flyway"), "")
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "steps", stepSummary(steps), "V1__create_products, V1_1__add_products_sku, V2__index_products_sku (no tx), V10__product_search, R__cheap_products")
	st, err := MigrationFileStep(filepath.Join("migrations", "testdata", "goose", "20240215080000_index_accounts_email.sql"), "auto")
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "file step", stepSummary([]*Step{st}), "20240215080000_index_accounts_email (no tx)")
	_, err = MigrationFileStep(filepath.Join("migrations", "testdata", "nope.sql"), "")
	if err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
}

// A goose migration written in Go in the baseline is left out and named;
// the SQL files around it make the baseline, and lint reads only those.
func TestBaselineLeavesOutGoMigrations(t *testing.T) {
	files := map[string]string{
		"db/00001_init.sql":     "-- +goose Up\nCREATE TABLE t (id int);\n",
		"db/00002_backfill.go":  "package db\n",
		"db/00003_column.sql":   "-- +goose Up\nALTER TABLE t ADD COLUMN v int;\n",
		"db/00004_index.sql":    "-- +goose Up\nCREATE INDEX t_v ON t (v);\n",
		"db/00005_more_data.go": "package db\n",
	}
	yaml := "name: x\nschema: {migrations: {dir: db, to: 3}}\nmigration: {migrations: {dir: db, to: 4}}" + migrationTraffic
	dir, err := migrationScenario(t, yaml, files)
	if err != nil {
		t.Fatal(err)
	}
	s := mustLoad(t, filepath.Join(dir, "s.yaml"))
	eq(t, "baseline", stepSummary(s.Baseline), "00001_init, 00003_column")
	eq(t, "steps", stepSummary(s.Migration.Steps), "00004_index")
	eq(t, "note", s.BaselineNote(), "the baseline leaves out 1 goose migration written in Go (rehearse runs SQL only; a later file that needs what one did fails at its line): 00002_backfill.go")

	steps, err := MigrationSteps(filepath.Join(dir, "db"), "")
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "lint steps", stepSummary(steps), "00001_init, 00003_column, 00004_index")
}
