package migrate_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rehearse/rehearse/internal/dbconn"
	"github.com/rehearse/rehearse/internal/lockmon"
	"github.com/rehearse/rehearse/internal/pgtest"
	"github.com/rehearse/rehearse/provider"
	"github.com/rehearse/rehearse/scenarios"
)

func TestCommandStepGetsTheDatabaseAndTheMigrationsName(t *testing.T) {
	psql := filepath.Join(binDir(t), "psql")
	dsn, r := setup(t)
	out := r.Run(context.Background(), &scenarios.Step{Name: "tool", Command: []string{psql, "$DATABASE_URL", "-Atc",
		"ALTER TABLE users ADD COLUMN via_tool int; SELECT current_setting('application_name')"}})
	if out.Error != "" {
		t.Fatalf("command step failed: %s", out.Error)
	}
	if !strings.Contains(out.Output, dbconn.Migration) {
		t.Errorf("the tool's session was named %q, want %s", out.Output, dbconn.Migration)
	}
	var exists bool
	conn := pgtest.Connect(t, dsn)
	conn.QueryRow(context.Background(), "SELECT EXISTS (SELECT FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'via_tool')").Scan(&exists)
	if !exists {
		t.Error("the command's DDL did not reach the rehearsal database")
	}
}

func TestCommandStepFailureKeepsItsOutput(t *testing.T) {
	_, r := setup(t)
	out := r.Run(context.Background(), &scenarios.Step{Name: "tool", Command: []string{"sh", "-c", "echo migrating; echo 'boom' >&2; exit 3"}})
	if !strings.Contains(out.Error, "exit status 3") || !strings.Contains(out.Output, "boom") {
		t.Errorf("step = %+v, want the exit status and the output", out)
	}
}

// TestGooseAsAStep builds goose and rehearses a goose migration directory
// through it, with the lock monitor attributing the tool's lock to the
// migration. goose is pinned by the tool directive of testdata/tools.mod, a
// module file of its own so that goose's dependencies (every database
// driver it supports) stay out of rehearse's go.mod; to move it:
//
//	go get -modfile=internal/migrate/testdata/tools.mod -tool github.com/pressly/goose/v3/cmd/goose@VERSION
//
// It is built rather than run with `go tool`, which would compile all those
// drivers (minutes on two cores); the tags leave out all but PostgreSQL's.
func TestGooseAsAStep(t *testing.T) {
	goose := filepath.Join(t.TempDir(), "goose")
	build := exec.Command("go", "build", "-modfile=testdata/tools.mod", "-o", goose,
		"-tags", "no_mysql no_sqlite3 no_mssql no_clickhouse no_vertica no_ydb no_libsql no_turso no_starrocks",
		"github.com/pressly/goose/v3/cmd/goose")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build goose: %v\n%s", err, out)
	}
	dsn, r := setup(t)
	mon, err := lockmon.Start(context.Background(), dsn, lockmon.WithPhase(func() string { return "goose" }))
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := filepath.Abs("testdata/goose")
	out := r.Run(context.Background(), &scenarios.Step{Name: "goose", Command: []string{goose, "-dir", dir, "postgres", "$DATABASE_URL", "up"}})
	rep := mon.Stop(context.Background())
	if out.Error != "" {
		t.Fatalf("goose up failed: %s\n%s", out.Error, out.Output)
	}
	found := false
	for _, l := range rep.Held["goose"] {
		found = found || (l.Relation == "users" && l.Mode == "AccessExclusiveLock")
	}
	if !found {
		t.Errorf("the monitor did not see goose's AccessExclusiveLock on users as the migration's: %+v", rep.Held)
	}
}

func binDir(t *testing.T) string {
	t.Helper()
	bin, err := provider.FindBinDir("")
	if err != nil {
		t.Fatal(err)
	}
	return bin.Path
}
