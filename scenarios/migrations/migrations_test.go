package migrations_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rehearse/rehearse/internal/pgsql"
	"github.com/rehearse/rehearse/scenarios/migrations"
)

// want describes one file as its tool reads it.
type want struct {
	version, name string
	tx            migrations.TxMode
	line          int
	statements    int
}

func TestReadFixtureDirectories(t *testing.T) {
	tests := []struct {
		dir        string
		format     migrations.Format
		files      []want
		repeatable []string
	}{
		{"golang-migrate", migrations.GolangMigrate, []want{
			{"000001", "000001_create_users", migrations.OneQuery, 1, 1},
			{"000002", "000002_users_updated_at_trigger", migrations.OneQuery, 1, 2},
			{"000003", "000003_index_users_email", migrations.OneQuery, 1, 1},
			{"000004", "000004_add_users_api_token", migrations.OneQuery, 1, 1},
		}, nil},
		{"goose", migrations.Goose, []want{
			{"20240105093000", "20240105093000_create_accounts", migrations.InTransaction, 2, 1},
			{"20240112150000", "20240112150000_accounts_touch_function", migrations.InTransaction, 2, 3},
			{"20240201120000", "20240201120000_seed_admin", migrations.InTransaction, 4, 1},
			{"20240215080000", "20240215080000_index_accounts_email", migrations.NoTransaction, 3, 1},
			{"20240301100000", "20240301100000_require_accounts_plan", migrations.InTransaction, 2, 3},
		}, nil},
		{"flyway", migrations.Flyway, []want{
			{"1", "V1__create_products", migrations.Detect, 1, 1},
			{"1.1", "V1_1__add_products_sku", migrations.Detect, 1, 1},
			{"2", "V2__index_products_sku", migrations.NoTransaction, 1, 1},
			{"10", "V10__product_search", migrations.Detect, 1, 1},
		}, []string{"R__cheap_products"}},
		{"dbmate", migrations.Dbmate, []want{
			{"20240101000000", "20240101000000_create_posts", migrations.InTransaction, 2, 1},
			{"20240102000000", "20240102000000_index_posts_author", migrations.OneQuery, 2, 1},
			{"20240103000000", "20240103000000_posts_slug", migrations.InTransaction, 2, 2},
		}, nil},
		{"sql", migrations.Plain, []want{
			{"1", "1_schema", migrations.Detect, 1, 1},
			{"2", "2_event_kinds", migrations.Detect, 1, 1},
			{"9", "9_index_events_kind", migrations.Detect, 1, 1},
			{"10", "10_events_created_at", migrations.Detect, 1, 3},
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.dir, func(t *testing.T) {
			dir := filepath.Join("testdata", tc.dir)
			for _, format := range []migrations.Format{migrations.Auto, tc.format} {
				d, err := migrations.Read(dir, format)
				if err != nil {
					t.Fatalf("%s: %v", format, err)
				}
				if d.Format != tc.format {
					t.Errorf("%s: format %s, want %s", format, d.Format, tc.format)
				}
				if len(d.Files) != len(tc.files) {
					t.Fatalf("%s: %d files %v, want %d", format, len(d.Files), d.Versions(), len(tc.files))
				}
				for i, w := range tc.files {
					checkFile(t, d.Files[i], w)
				}
				var rep []string
				for _, f := range d.Repeatable {
					rep = append(rep, f.Name)
				}
				if !reflect.DeepEqual(rep, tc.repeatable) {
					t.Errorf("repeatable %v, want %v", rep, tc.repeatable)
				}
			}
		})
	}
}

func checkFile(t *testing.T, f migrations.File, w want) {
	t.Helper()
	if f.Version != w.version || f.Name != w.name || f.Tx != w.tx || f.Line != w.line {
		t.Errorf("got %s %s tx=%v line=%d, want %s %s tx=%v line=%d", f.Version, f.Name, f.Tx, f.Line, w.version, w.name, w.tx, w.line)
	}
	if !strings.HasPrefix(filepath.Base(f.Path), f.Name) {
		t.Errorf("path %s does not name %s", f.Path, f.Name)
	}
	stmts, err := pgsql.Split(f.SQL)
	if err != nil {
		t.Errorf("%s: %v", f.Name, err)
	}
	if len(stmts) != w.statements {
		t.Errorf("%s: %d statements, want %d: %+v", f.Name, len(stmts), w.statements, stmts)
	}
	// SQL is the file's lines from Line on: the first line must match.
	data, err := os.ReadFile(f.Path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	if first := strings.Split(f.SQL, "\n")[0]; lines[f.Line-1] != first {
		t.Errorf("%s: SQL starts with %q, but line %d is %q", f.Name, first, f.Line, lines[f.Line-1])
	}
}

// Statements are split with PostgreSQL's parser: function bodies, DO blocks
// and comments with semicolons stay whole, and the down part never runs.
func TestStatementsStayWhole(t *testing.T) {
	tests := []struct {
		dir, file string
		want      []string // a substring of each statement, in order
	}{
		{"golang-migrate", "000002_users_updated_at_trigger.up.sql", []string{"RETURN NEW;\nEND;\n$body$", "CREATE TRIGGER users_touch_updated_at"}},
		{"goose", "20240112150000_accounts_touch_function.sql", []string{"ADD COLUMN updated_at", "END;\n$$ LANGUAGE plpgsql", "CREATE TRIGGER accounts_touch"}},
		{"goose", "20240201120000_seed_admin.sql", []string{"END IF;\nEND\n$$"}},
		{"dbmate", "20240103000000_posts_slug.sql", []string{"add column slug", "-- fill existing rows\nend\n$do$"}},
		{"sql", "2_event_kinds.sql", []string{"$$ SELECT k IN ('click', 'view'); $$"}},
		{"flyway", "V10__product_search.sql", []string{"'%' || q || '%';\n$fn$"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			f, err := migrations.ReadFile(filepath.Join("testdata", tc.dir, tc.file), migrations.Auto)
			if err != nil {
				t.Fatal(err)
			}
			stmts, err := pgsql.Split(f.SQL)
			if err != nil {
				t.Fatal(err)
			}
			if len(stmts) != len(tc.want) {
				t.Fatalf("%d statements, want %d: %+v", len(stmts), len(tc.want), stmts)
			}
			for i, s := range stmts {
				if !strings.Contains(s.SQL, tc.want[i]) {
					t.Errorf("statement %d = %q, want it to contain %q", i, s.SQL, tc.want[i])
				}
				if strings.Contains(strings.ToLower(s.SQL), "drop ") {
					t.Errorf("statement %d comes from the down part: %q", i, s.SQL)
				}
			}
		})
	}
}

func TestGooseAnnotations(t *testing.T) {
	tests := []struct {
		name, text string
		tx         migrations.TxMode
		line       int
		blocks     []migrations.LineRange
		problem    string // substring of the problem; "" for none
	}{
		{"plain", "-- +goose Up\nCREATE TABLE t (id int);\n-- +goose Down\nDROP TABLE t;\n", migrations.InTransaction, 2, nil, ""},
		{"case and spacing", "--  +goose  up\nSELECT 1;\n--+goose DOWN\nSELECT 2;\n", migrations.InTransaction, 2, nil, ""},
		{"no transaction after up", "-- +goose Up\n-- +goose NO TRANSACTION\nVACUUM t;\n", migrations.NoTransaction, 2, nil, ""},
		{"blocks", "-- +goose Up\nSELECT 1;\n-- +goose StatementBegin\nDO $$ BEGIN PERFORM 1; END $$;\n-- +goose StatementEnd\n-- +goose Down\n-- +goose StatementBegin\nSELECT 2;\n-- +goose StatementEnd\n",
			migrations.InTransaction, 2, []migrations.LineRange{{First: 2, Last: 4}}, ""},
		{"no up", "-- +goose Down\nDROP TABLE t;\n", 0, 0, nil, "Down before -- +goose Up"},
		{"missing up", "-- just a comment\n", 0, 0, nil, "no -- +goose Up annotation"},
		{"sql before up", "CREATE TABLE t (id int);\n-- +goose Up\n", 0, 0, nil, "SQL before -- +goose Up"},
		{"unclosed block", "-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n", 0, 0, nil, "StatementBegin without StatementEnd"},
		{"end without begin", "-- +goose Up\nSELECT 1;\n-- +goose StatementEnd\n", 0, 0, nil, "StatementEnd without StatementBegin"},
		{"envsub", "-- +goose ENVSUB ON\n-- +goose Up\nSELECT '${X}';\n", 0, 0, nil, "ENVSUB"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "00001_x.sql")
			if err := os.WriteFile(path, []byte(tc.text), 0o644); err != nil {
				t.Fatal(err)
			}
			d, err := migrations.Read(dir, migrations.Goose)
			if tc.problem != "" {
				var me *migrations.Error
				if !errors.As(err, &me) || !strings.Contains(err.Error(), tc.problem) || !strings.HasPrefix(err.Error(), path) {
					t.Fatalf("error %v, want a *migrations.Error on %s mentioning %q", err, path, tc.problem)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			f := d.Files[0]
			if f.Tx != tc.tx || f.Line != tc.line || !reflect.DeepEqual(f.GooseBlocks, tc.blocks) {
				t.Errorf("tx=%v line=%d blocks=%v, want tx=%v line=%d blocks=%v", f.Tx, f.Line, f.GooseBlocks, tc.tx, tc.line, tc.blocks)
			}
			if strings.Contains(f.SQL, "SELECT 2") || strings.Contains(f.SQL, "DROP") {
				t.Errorf("the Down section leaked into SQL: %q", f.SQL)
			}
		})
	}
}

func TestDbmateSections(t *testing.T) {
	tests := []struct {
		name, text string
		tx         migrations.TxMode
		sql        string
		problem    string
	}{
		{"default", "-- migrate:up\ncreate table t (id int);\n-- migrate:down\ndrop table t;\n", migrations.InTransaction, "create table t (id int);", ""},
		{"transaction false", "-- migrate:up transaction:false\ncreate index concurrently i on t (id);\n\n-- migrate:down\n", migrations.OneQuery, "create index concurrently i on t (id);\n", ""},
		{"no down", "-- comment\n-- migrate:up\nselect 1;\n", migrations.InTransaction, "select 1;\n", ""},
		{"missing up", "create table t (id int);\n", 0, "", "SQL before -- migrate:up"},
		{"only comments", "-- nothing here\n", 0, "", "no -- migrate:up line"},
		{"down first", "-- migrate:down\n-- migrate:up\n", 0, "", "-- migrate:down before -- migrate:up"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "20240101000000_x.sql"), []byte(tc.text), 0o644); err != nil {
				t.Fatal(err)
			}
			d, err := migrations.Read(dir, migrations.Dbmate)
			if tc.problem != "" {
				if err == nil || !strings.Contains(err.Error(), tc.problem) {
					t.Fatalf("error %v, want one mentioning %q", err, tc.problem)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			f := d.Files[0]
			if f.Tx != tc.tx || strings.TrimSpace(f.SQL) != strings.TrimSpace(tc.sql) {
				t.Errorf("tx=%v sql=%q, want tx=%v sql=%q", f.Tx, f.SQL, tc.tx, tc.sql)
			}
		})
	}
}

func TestDetectAndDirectoryProblems(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		format  migrations.Format
		problem string
	}{
		{"empty", map[string]string{"README.md": "x"}, migrations.Auto, "no migration files"},
		{"ambiguous", map[string]string{"1_a.up.sql": "SELECT 1;", "2_b.sql": "-- +goose Up\nSELECT 1;"}, migrations.Auto, "golang-migrate and goose: set format"},
		{"duplicate version", map[string]string{"1_a.up.sql": "SELECT 1;", "001_b.up.sql": "SELECT 2;"}, migrations.GolangMigrate, "version 1 is also the version of"},
		{"unnumbered plain", map[string]string{"1_a.sql": "SELECT 1;", "init.sql": "SELECT 2;"}, migrations.Plain, "cannot order this file"},
		{"goose without version", map[string]string{"add_users.sql": "-- +goose Up\nSELECT 1;"}, migrations.Goose, "numeric version"},
		{"flyway bad version", map[string]string{"V1__a.sql": "SELECT 1;", "Vx__b.sql": "SELECT 1;"}, migrations.Flyway, "cannot read the version"},
		{"missing dir", nil, migrations.Auto, "no such file or directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, text := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if tc.files == nil {
				dir = filepath.Join(dir, "nope")
			}
			_, err := migrations.Read(dir, tc.format)
			if err == nil || !strings.Contains(err.Error(), tc.problem) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.problem)
			}
		})
	}
}

func TestGooseGoMigrationsAreListed(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"00001_init.sql":         "-- +goose Up\nCREATE TABLE t (id int);\n",
		"00002_backfill.go":      "package migrations\n",
		"00002_backfill_test.go": "package migrations\n",
		"main.go":                "package main\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d, err := migrations.Read(dir, migrations.Auto)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Files) != 2 || !d.Files[1].GoMigration || d.Files[1].Name != "00002_backfill" {
		t.Fatalf("files %+v, want the SQL migration and the Go one", d.Files)
	}
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1", "1", 0}, {"000041", "41", 0}, {"2", "10", -1}, {"10", "9", 1},
		{"1.2", "1.10", -1}, {"1.1", "1.1.0", 0}, {"20240105093000", "20240105093001", -1},
		{"99999999999999999999", "100000000000000000000", -1},
	}
	for _, tc := range tests {
		if got := migrations.CompareVersions(tc.a, tc.b); got != tc.want {
			t.Errorf("CompareVersions(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := migrations.CompareVersions(tc.b, tc.a); got != -tc.want {
			t.Errorf("CompareVersions(%s, %s) = %d, want %d", tc.b, tc.a, got, -tc.want)
		}
	}
}

func TestBetween(t *testing.T) {
	d, err := migrations.Read(filepath.Join("testdata", "sql"), migrations.Auto)
	if err != nil {
		t.Fatal(err)
	}
	names := func(files []migrations.File) string {
		var out []string
		for _, f := range files {
			out = append(out, f.Version)
		}
		return strings.Join(out, ",")
	}
	tests := []struct {
		from, to, want, problem string
	}{
		{"", "", "1,2,9,10", ""},
		{"", "2", "1,2", ""},
		{"0", "002", "1,2", ""},
		{"2", "", "9,10", ""},
		{"9", "10", "10", ""},
		{"10", "", "", ""},
		{"3", "", "", "no migration of version 3 in testdata/sql (versions: 1, 2, 9, 10)"},
		{"", "11", "", "no migration of version 11"},
		{"10", "2", "", "version 2 comes before version 10"},
	}
	for _, tc := range tests {
		got, err := d.Between(tc.from, tc.to)
		switch {
		case tc.problem != "" && (err == nil || !strings.Contains(err.Error(), tc.problem)):
			t.Errorf("Between(%q, %q): error %v, want %q", tc.from, tc.to, err, tc.problem)
		case tc.problem == "" && err != nil:
			t.Errorf("Between(%q, %q): %v", tc.from, tc.to, err)
		case tc.problem == "" && names(got) != tc.want:
			t.Errorf("Between(%q, %q) = %s, want %s", tc.from, tc.to, names(got), tc.want)
		}
	}
}

func TestParseFormat(t *testing.T) {
	if f, err := migrations.ParseFormat(""); err != nil || f != migrations.Auto {
		t.Errorf(`ParseFormat("") = %v, %v`, f, err)
	}
	if _, err := migrations.ParseFormat("liquibase"); err == nil || !strings.Contains(err.Error(), "golang-migrate, goose") {
		t.Errorf("ParseFormat(liquibase) = %v, want an error listing the formats", err)
	}
}
