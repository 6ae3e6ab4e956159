package scenarios

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/bad/*.golden from the current output")

func TestBadFiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "bad", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 15 {
		t.Fatalf("found %d bad files, want at least 15", len(files))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			_, err := Load(file)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("error is %T, want *scenarios.Error: %v", err, err)
			}
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(file, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./scenarios/ -run TestBadFiles -update)", err)
			}
			if got != string(want) {
				t.Errorf("error mismatch\n got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestGoodFiles(t *testing.T) {
	tests := []struct {
		file  string
		check func(t *testing.T, s *Scenario)
	}{
		{"rename.yaml", func(t *testing.T, s *Scenario) {
			eq(t, "old connections", s.Traffic.Old.Connections, 16)
			eq(t, "new connections (default)", s.Traffic.New.Connections, DefaultConnections)
			eq(t, "new weight (default)", s.Traffic.New.Queries[0].Weight, DefaultWeight)
			eq(t, "old weight", s.Traffic.Old.Queries[1].Weight, 2.0)
			eq(t, "seed", s.Data.Seed, int64(42))
			eq(t, "rows", s.Data.Tables["users"].Rows, Count(2_000_000))
			eq(t, "baseline", s.Phases.Baseline.D(), 20*time.Second)
			eq(t, "batch size", s.Migration.Steps[1].Batch.Size, Count(5000))
			eq(t, "pause", s.Migration.Steps[1].Batch.Pause.D(), 20*time.Millisecond)
			eq(t, "index in transaction", s.Migration.Steps[2].InTransaction(), false)
			eq(t, "expand in transaction", s.Migration.Steps[0].InTransaction(), true)
			eq(t, "setting", s.Postgres.Settings["max_connections"], Setting("200"))
			eq(t, "max lock wait", s.Thresholds.MaxLockWait.D(), 500*time.Millisecond)
			eq(t, "schema file", s.SchemaFile, filepath.Join("testdata", "good", "schema.sql"))
			eq(t, "schema line", s.SchemaLine, 1)
			eq(t, "schema starts", strings.HasPrefix(s.SchemaSQL, "-- Baseline schema"), true)
			eq(t, "load order", strings.Join(s.LoadOrder(), ","), "users,orders")
		}},
		{"minimal.yaml", func(t *testing.T, s *Scenario) {
			eq(t, "baseline", s.Phases.Baseline.D(), DefaultPhase)
			eq(t, "cooldown", s.Phases.Cooldown.D(), DefaultPhase)
			eq(t, "seed", s.Data.Seed, int64(DefaultSeed))
			eq(t, "connections", s.Traffic.Old.Connections, DefaultConnections)
			eq(t, "weight", s.Traffic.Old.Queries[0].Weight, DefaultWeight)
			eq(t, "batch size", s.Migration.Steps[1].Batch.Size, Count(DefaultBatchSize))
			eq(t, "pause", s.Migration.Steps[1].Batch.Pause, Duration(0))
			eq(t, "schema file", s.SchemaFile, filepath.Join("testdata", "good", "minimal.yaml"))
			eq(t, "schema line", s.SchemaLine, 5)
			eq(t, "date from", s.Data.Tables["accounts"].Columns["opened"].From, "2020-01-01")
		}},
		{"anchors.yaml", func(t *testing.T, s *Scenario) {
			eq(t, "explicit zero baseline", s.Phases.Baseline, Duration(0))
			eq(t, "cooldown", s.Phases.Cooldown.D(), 90*time.Second)
			eq(t, "explicit zero seed", s.Data.Seed, int64(0))
			eq(t, "merged connections", s.Traffic.New.Connections, 4)
			eq(t, "merged rate", s.Traffic.New.Rate, 25.5)
			eq(t, "merged weight", s.Traffic.New.Queries[0].Weight, 3.0)
			eq(t, "start_after", s.Traffic.New.StartAfter, "expand")
			eq(t, "load order", strings.Join(s.LoadOrder(), ","), "public.users")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			s, err := Load(filepath.Join("testdata", "good", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, s)
		})
	}
}

// problemCase edits a valid scenario (the first from becomes to) and
// expects Parse to fail with an error containing want.
type problemCase struct{ name, from, to, want string }

// checkProblems runs each case on its edit of base, in parallel subtests.
func checkProblems(t *testing.T, base string, cases []problemCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(strings.Replace(base, tc.from, tc.to, 1)), "s.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join("testdata", "no-such-file.yaml"))
	if err == nil || !strings.Contains(err.Error(), "read scenario") {
		t.Fatalf("err = %v, want a read error", err)
	}
}

// Every problem of a file comes back at once, one line each, in file order.
func TestManyProblemsReportedTogether(t *testing.T) {
	_, err := Load(filepath.Join("testdata", "bad", "many_problems.yaml"))
	var se *Error
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want *Error", err)
	}
	if len(se.Problems) < 12 {
		t.Fatalf("got %d problems, want at least 12:\n%v", len(se.Problems), err)
	}
	for _, want := range []string{"name:", "data.tables.users.rows:", "data.tables.ghosts:", "traffic.old.rate:",
		"traffic.old.connections:", "traffic.new.rate:", "traffic.new.stop_after:", "traffic.new.queries[0].weight:",
		"migration.steps:", "phases.baseline:", "thresholds.max_lock_wait:", "thresholds.max_error_rate.new:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing a problem for %s", want)
		}
	}
	if n := strings.Count(err.Error(), "\n") + 1; n != len(se.Problems) {
		t.Errorf("%d lines for %d problems", n, len(se.Problems))
	}
	for i := 1; i < len(se.Problems); i++ {
		if se.Problems[i].Line < se.Problems[i-1].Line {
			t.Errorf("problems out of order: %v before %v", se.Problems[i-1], se.Problems[i])
		}
	}
}

func TestParseWithoutPath(t *testing.T) {
	good := `name: inline
schema: {sql: "CREATE TABLE t (id int PRIMARY KEY)"}
traffic: {old: {rate: 1, queries: [{name: q, sql: "SELECT 1"}]}}
migration: {steps: [{name: s, sql: "ALTER TABLE t ADD COLUMN c int"}]}
`
	s, err := Parse([]byte(good), "")
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "path", s.Path, "")
	eq(t, "schema line", s.SchemaLine, 2)

	_, err = Parse([]byte(strings.Replace(good, "rate: 1", "rate: -1", 1)), "")
	eq(t, "message", fmt.Sprint(err), "3:23: traffic.old.rate: must be > 0, got -1")
}

// SQLPos maps server error offsets back to the scenario file.
func TestSQLPos(t *testing.T) {
	s, err := Load(filepath.Join("testdata", "good", "minimal.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join("testdata", "good", "minimal.yaml")
	step := s.Migration.Steps[0]
	second := strings.Index(step.SQL, "ALTER COLUMN")
	tests := []struct {
		name string
		got  Pos
		want Pos
	}{
		{"schema start", s.SchemaPos(0), Pos{File: file, Line: 5, Col: 5}},
		{"schema line 3", s.SchemaPos(strings.Index(s.SchemaSQL, "balance")), Pos{File: file, Line: 7, Col: 7}},
		{"block step, second line", step.SQLPos(second), Pos{File: file, Line: 28, Col: 30}},
		{"plain query", s.Traffic.Old.Queries[0].SQLPos(7), Pos{File: file, Line: 21, Col: 21}},
		{"batch", s.Migration.Steps[1].Batch.SQLPos(0), Pos{File: file, Line: 33, Col: 14}},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	rename, err := Load(filepath.Join("testdata", "good", "rename.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := rename.Validate(); err != nil {
		t.Fatal(err)
	}
	got := rename.SchemaPos(strings.Index(rename.SchemaSQL, "CREATE TABLE orders"))
	eq(t, "schema file position", got, Pos{File: filepath.Join("testdata", "good", "schema.sql"), Line: 9, Col: 1})
	quoted := rename.Traffic.Old.Queries[0]
	eq(t, "quoted query, after Validate", quoted.SQLPos(0), Pos{File: filepath.Join("testdata", "good", "rename.yaml"), Line: 15, Col: 43})
}

// A Scenario built in Go gets the same checks, without line numbers.
func TestValidateGoBuilt(t *testing.T) {
	s := &Scenario{
		Name:   "built in Go",
		Schema: Schema{SQL: "CREATE TABLE t (id serial PRIMARY KEY, v text NOT NULL)"},
		Data:   Data{Tables: map[string]*Table{"t": {Rows: 10}}},
		Traffic: Traffic{Old: &Workload{Rate: 10, Queries: []*Query{
			{Name: "q", SQL: "SELECT v FROM t WHERE id = $1", Args: []*ValueSpec{{Ref: "t.id"}}},
		}}},
		Migration: Migration{Steps: []*Step{{Name: "s", SQL: "ALTER TABLE t ADD COLUMN w int"}}},
	}
	s.ApplyDefaults()
	eq(t, "connections", s.Traffic.Old.Connections, DefaultConnections)
	eq(t, "baseline", s.Phases.Baseline.D(), DefaultPhase)
	s.Data.Tables["t"].Columns = map[string]*ValueSpec{"v": {Gen: "word", Dist: "zipf"}}
	err := s.Validate()
	eq(t, "message", fmt.Sprint(err), "data.tables.t.columns.v.dist: gen: word has no order to shape; dist applies to number, price, date and ref")

	s.Data.Tables["t"].Columns = map[string]*ValueSpec{"v": {Gen: "word"}}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	eq(t, "schema sql", s.SchemaSQL, s.Schema.SQL)
	eq(t, "no source position", s.Migration.Steps[0].SQLPos(3), Pos{})
}

// FuzzParse checks that no input makes Parse panic.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*", "*.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data, "fuzz.yaml")
		if (s == nil) == (err == nil) {
			t.Fatalf("Parse returned scenario %v and error %v", s, err)
		}
		if err == nil {
			return
		}
		msg := err.Error()
		if msg == "" {
			t.Fatal("empty error message")
		}
		if strings.Contains(msg, "cannot parse this YAML") || strings.Contains(msg, "cannot decode this YAML") {
			t.Fatalf("the YAML library panicked (recovered): %v", err)
		}
	})
}
