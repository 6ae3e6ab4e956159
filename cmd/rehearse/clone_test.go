package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/internal/pgtest"
)

// standInEngine is a clone engine made of two shell scripts over the test
// cluster: create runs CREATE DATABASE clone_N TEMPLATE <golden> and prints
// the clone's DSN, destroy drops the database $REHEARSE_CLONE_DSN names.
// The golden database holds t(id, v) with 1000 rows.
type standInEngine struct {
	server           string
	create, destroy  string
	goldenName, tdir string
}

func newStandInEngine(t *testing.T) *standInEngine {
	t.Helper()
	golden := pgtest.NewDB(t)
	// Its own connection, closed at once: a template must have no sessions.
	conn, err := pgx.Connect(context.Background(), golden)
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(context.Background(), "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, 1000) i")
	conn.Close(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := pgx.ParseConfig(golden)
	if err != nil {
		t.Fatal(err)
	}
	server := pgtest.ServerDSN(t)
	e := &standInEngine{server: server, goldenName: cfg.Database, tdir: t.TempDir()}
	prefix := "clone_" + strings.TrimPrefix(sanitizeName(t.Name()), "test") + "_"
	create := filepath.Join(e.tdir, "create.sh")
	destroy := filepath.Join(e.tdir, "destroy.sh")
	write := func(path, body string) {
		if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write(create, fmt.Sprintf(`set -e
n=$(( $(cat %[1]s/n 2>/dev/null || echo 0) + 1 )); echo $n > %[1]s/n
psql -X -q -v ON_ERROR_STOP=1 '%[2]s' -c "CREATE DATABASE %[3]s$n TEMPLATE %[4]s" >&2
psql -X -At '%[2]s' -c "SELECT 'host=%[5]s port=%[6]d user=%[7]s password=%[8]s sslmode=disable dbname=%[3]s$n'"
`, e.tdir, server, prefix, e.goldenName, cfg.Host, cfg.Port, cfg.User, cfg.Password))
	write(destroy, fmt.Sprintf(`set -e
db=$(echo "$REHEARSE_CLONE_DSN" | sed 's/.*dbname=//')
psql -X -q -v ON_ERROR_STOP=1 '%[1]s' -c "DROP DATABASE $db WITH (FORCE)"
`, server))
	e.create, e.destroy = "sh "+create, "sh "+destroy
	t.Cleanup(func() {
		for _, db := range e.clones(t) {
			pgtest.Exec(t, server, "DROP DATABASE "+db+" WITH (FORCE)")
		}
	})
	return e
}

func sanitizeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return '_'
	}, s)
}

// clones lists the clone databases that exist.
func (e *standInEngine) clones(t *testing.T) []string {
	t.Helper()
	conn := pgtest.Connect(t, e.server)
	rows, err := conn.Query(context.Background(), "SELECT datname FROM pg_database WHERE datname LIKE 'clone_%' AND datname <> $1", e.goldenName)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// cloneScenario writes a scenario rehearsing on the clone's existing rows.
func cloneScenario(t *testing.T, extra, schema, step string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "clone.yaml")
	body := `name: on a clone
schema:
  sql: CREATE TABLE t (id int PRIMARY KEY, v text); ` + schema + `
data: {from: existing}
traffic:
  old:
    rate: 50
    connections: 2
    queries: [{name: get, sql: "SELECT v FROM t WHERE id = $1", args: [{ref: t.id}]}]
migration:
  steps: [{name: step, sql: "` + step + `"}]
phases: {baseline: 300ms, cooldown: 300ms}
thresholds:
  max_error_rate: {old: 0}
` + extra
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCloneProviderDestroysOnEveryEnding(t *testing.T) {
	e := newStandInEngine(t)
	flags := []string{"--provider", "command", "--clone-create", e.create, "--clone-destroy", e.destroy, "-q"}
	for _, tc := range []struct {
		name, step string
		scenario   string // extra YAML
		schema     string // extra schema SQL
		query, ref string // the traffic query and its argument, when not on t
		args       []string
		want       int
	}{
		{name: "pass", step: "ALTER TABLE t ADD COLUMN w int", args: flags, want: exitPass},
		{name: "fail", step: "ALTER TABLE t RENAME COLUMN v TO v2", args: flags, want: exitFail},
		{name: "error", step: "ALTER TABLE t ADD COLUMN w int", args: flags, want: exitCannotRun,
			// u is in the scenario's schema, not in the clone: no keys to draw.
			schema: "CREATE TABLE u (id int);", query: "SELECT id FROM u WHERE id = $1", ref: "u.id"},
		{name: "scenario commands", step: "ALTER TABLE t ADD COLUMN w int", want: exitPass,
			scenario: fmt.Sprintf("postgres: {clone: {create: %q, destroy: %q}}\n", e.create, e.destroy)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := cloneScenario(t, tc.scenario, tc.schema, tc.step)
			if tc.query != "" {
				body := strings.Replace(mustRead(t, path), "SELECT v FROM t WHERE id = $1", tc.query, 1)
				body = strings.Replace(body, "{ref: t.id}", "{ref: "+tc.ref+"}", 1)
				if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			code, out, errOut := run(t, append([]string{path}, tc.args...)...)
			if code != tc.want {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.want, out, errOut)
			}
			if left := e.clones(t); len(left) > 0 {
				t.Errorf("clones left after exit %d: %v", code, left)
			}
		})
	}
}

func TestCloneCreateThatFailsExitsTwo(t *testing.T) {
	e := newStandInEngine(t)
	path := cloneScenario(t, "", "", "ALTER TABLE t ADD COLUMN w int")
	for _, tc := range []struct{ create, want string }{
		{"echo 'branch limit reached' >&2; exit 1", "branch limit reached"},
		{"echo", "printed no DSN"},
	} {
		code, _, errOut := run(t, path, "--provider", "command", "--clone-create", tc.create, "--clone-destroy", e.destroy)
		if code != exitCannotRun || !strings.Contains(errOut, tc.want) {
			t.Errorf("create %q: exit %d, stderr %q; want 2 and %q", tc.create, code, errOut, tc.want)
		}
	}
}

func TestCloneDestroyedOnCtrlC(t *testing.T) {
	e := newStandInEngine(t)
	bin := buildBinary(t)
	path := cloneScenario(t, "", "", "ALTER TABLE t ADD COLUMN w int")
	long := strings.Replace(mustRead(t, path), "baseline: 300ms", "baseline: 1h", 1)
	if err := os.WriteFile(path, []byte(long), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, path, "--provider", "command", "--clone-create", e.create, "--clone-destroy", e.destroy)
	_, rest := startAndWaitFor(t, cmd, "baseline:")
	if got := e.clones(t); len(got) != 1 {
		t.Fatalf("clones during the baseline = %v, want one", got)
	}
	cmd.Process.Signal(syscall.SIGINT)
	io.Copy(io.Discard, rest)
	if code := exitCode(cmd.Wait()); code != exitCannotRun {
		t.Errorf("exit code %d, want 2", code)
	}
	if left := e.clones(t); len(left) > 0 {
		t.Errorf("clones left after Ctrl-C: %v", left)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
