package provider_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/provider"
)

// cloneEngine is a stand-in clone engine on a local cluster: create runs
// CREATE DATABASE clone_N TEMPLATE golden and prints the clone's DSN,
// destroy drops the database named in $REHEARSE_CLONE_DSN and keeps what it
// read on stdin. golden holds one table of three rows.
type cloneEngine struct {
	admin   string // DSN of the cluster's postgres database
	dir     string
	create  string
	destroy string
}

func newCloneEngine(t *testing.T) *cloneEngine {
	t.Helper()
	ctx := context.Background()
	inst, err := provider.NewLocal().Start(ctx, provider.Config{})
	if err != nil {
		t.Fatalf("start the cluster of the stand-in engine: %v", err)
	}
	t.Cleanup(func() { inst.Stop(context.Background()) })
	conn, err := pgx.Connect(ctx, inst.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE golden"); err != nil {
		t.Fatal(err)
	}
	golden := strings.Replace(inst.DSN, "/postgres?", "/golden?", 1)
	gconn, err := pgx.Connect(ctx, golden)
	if err != nil {
		t.Fatal(err)
	}
	_, err = gconn.Exec(ctx, "CREATE TABLE users (id int PRIMARY KEY); INSERT INTO users VALUES (1), (2), (3)")
	gconn.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e := &cloneEngine{admin: inst.DSN, dir: t.TempDir()}
	create := filepath.Join(e.dir, "create.sh")
	destroy := filepath.Join(e.dir, "destroy.sh")
	writeScript(t, create, `set -e
n=$(( $(cat "$DIR/n" 2>/dev/null || echo 0) + 1 )); echo $n > "$DIR/n"
psql -X -q -v ON_ERROR_STOP=1 "$ADMIN" -c "CREATE DATABASE clone_$n TEMPLATE golden" >&2
echo "$ADMIN" | sed "s|/postgres?|/clone_$n?|"
echo "created clone_$n"
`)
	writeScript(t, destroy, `set -e
cat > "$DIR/destroy.stdin"
db=$(echo "$REHEARSE_CLONE_DSN" | sed 's|.*/\(clone_[0-9]*\)?.*|\1|')
psql -X -q -v ON_ERROR_STOP=1 "$ADMIN" -c "DROP DATABASE $db WITH (FORCE)"
echo "$db" >> "$DIR/destroyed"
`)
	env := fmt.Sprintf("ADMIN='%s' DIR='%s' ", e.admin, e.dir)
	e.create, e.destroy = env+"sh "+create, env+"sh "+destroy
	return e
}

func writeScript(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
}

// clones lists the clone databases that exist.
func (e *cloneEngine) clones(t *testing.T) []string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, e.admin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT datname FROM pg_database WHERE datname LIKE 'clone_%' ORDER BY 1")
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func (e *cloneEngine) file(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(e.dir, name))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return string(b)
}

func TestCommandCloneLifecycle(t *testing.T) {
	e := newCloneEngine(t)
	ctx := context.Background()
	inst, err := provider.Command{Create: e.create, Destroy: e.destroy}.Start(ctx, provider.Config{Settings: map[string]string{"work_mem": "8MB"}})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	if inst.Provider != "command" {
		t.Errorf("Provider = %q, want command", inst.Provider)
	}
	if len(inst.Warnings) != 1 || !strings.Contains(inst.Warnings[0], "work_mem") {
		t.Errorf("Warnings = %q, want one naming work_mem (not applied to a clone)", inst.Warnings)
	}
	conn, err := pgx.Connect(ctx, inst.DSN)
	if err != nil {
		t.Fatalf("connect to the clone: %v", err)
	}
	var db string
	var n int
	err = conn.QueryRow(ctx, "SELECT current_database(), (SELECT count(*) FROM users)").Scan(&db, &n)
	conn.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if db != "clone_1" || n != 3 {
		t.Errorf("connected to %s with %d users, want clone_1 with golden's 3", db, n)
	}
	if got := e.clones(t); len(got) != 1 {
		t.Fatalf("clones before Stop = %v, want one", got)
	}
	if err := inst.Stop(ctx); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if got := e.clones(t); len(got) != 0 {
		t.Errorf("clones after Stop = %v, want none", got)
	}
	if stdin := e.file(t, "destroy.stdin"); !strings.Contains(stdin, "/clone_1?") || !strings.Contains(stdin, "created clone_1") {
		t.Errorf("destroy read %q on stdin, want create's whole output", stdin)
	}
	// Kill after Stop, as a second Ctrl-C would: destroy does not run twice.
	inst.Kill()
	if got := e.file(t, "destroyed"); got != "clone_1\n" {
		t.Errorf("destroyed log = %q, want clone_1 once", got)
	}
}

func TestCommandCloneKillDestroys(t *testing.T) {
	e := newCloneEngine(t)
	inst, err := provider.Command{Create: e.create, Destroy: e.destroy}.Start(context.Background(), provider.Config{})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	inst.Kill()
	if got := e.clones(t); len(got) != 0 {
		t.Errorf("clones after Kill = %v, want none", got)
	}
}

func TestCommandCloneJSON(t *testing.T) {
	e := newCloneEngine(t)
	create := e.create + ` | head -1 | sed 's|.*|{"dsn": "&", "id": 7}|'`
	inst, err := provider.Command{Create: create, Destroy: e.destroy}.Start(context.Background(), provider.Config{})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	if !strings.Contains(inst.DSN, "/clone_1?") {
		t.Errorf("DSN = %q, want the JSON's dsn", inst.DSN)
	}
	if err := inst.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if stdin := e.file(t, "destroy.stdin"); !strings.Contains(stdin, `"id": 7`) {
		t.Errorf("destroy read %q on stdin, want the JSON", stdin)
	}
}

func TestCommandCloneCreateFailures(t *testing.T) {
	e := newCloneEngine(t)
	for _, tc := range []struct {
		name, create, want string
	}{
		{"fails", "echo 'no such branch' >&2; exit 3", "no such branch"},
		{"prints nothing", "true", "printed no DSN"},
		{"prints no DSN", "echo 'Error: quota exceeded'", "not a DSN"},
		{"JSON without dsn", `echo '{"id": 1}'`, `without a "dsn"`},
		{"clone does not answer", "echo postgres://x:y@127.0.0.1:1/clone?connect_timeout=2", "connect to the clone"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inst, err := provider.Command{Create: tc.create, Destroy: e.destroy}.Start(context.Background(), provider.Config{})
			if err == nil {
				inst.Stop(context.Background())
				t.Fatal("start succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
	// Only the clone that was created (the one that did not answer) was destroyed.
	if got := e.file(t, "destroy.stdin"); !strings.Contains(got, "127.0.0.1:1/clone") {
		t.Errorf("destroy stdin = %q, want the unanswering clone's DSN", got)
	}
}

func TestChooseCommand(t *testing.T) {
	ctx := context.Background()
	p, err := provider.Choose(ctx, provider.Request{CloneCreate: "c", CloneDestroy: "d"})
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := p.(provider.Command); !ok || c.Create != "c" || c.Destroy != "d" {
		t.Errorf("auto with clone commands chose %#v, want Command{c, d}", p)
	}
	if _, err := provider.Choose(ctx, provider.Request{Name: "command", CloneCreate: "c"}); err == nil || !strings.Contains(err.Error(), "--clone-destroy") {
		t.Errorf("command without destroy: err = %v, want one naming --clone-destroy", err)
	}
	if _, err := provider.Choose(ctx, provider.Request{Name: "local", CloneCreate: "c", CloneDestroy: "d"}); err == nil {
		t.Error("local with clone commands: no error")
	}
}
