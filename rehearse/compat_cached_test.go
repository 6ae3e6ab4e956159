package rehearse

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/internal/pgtest"
	"github.com/rehearse/rehearse/loadgen"
)

// A statement prepared before ADD COLUMN fails after it when its result
// type changed (SELECT *), and only then; a statement that did not prepare
// before the step is not checked.
func TestCachedStatementsPreparedBeforeExecutedAfter(t *testing.T) {
	dsn := smallTable(t)
	ctx := context.Background()
	conn := pgtest.Connect(t, dsn)
	tr := &traffic{workloads: []plannedWorkload{
		{name: "old", spec: loadgen.Workload{Queries: []loadgen.Query{
			{Name: "star", SQL: "SELECT * FROM t WHERE id = $1"},
			{Name: "listed", SQL: "SELECT id, v FROM t WHERE id = $1"},
			{Name: "pay", Statements: []loadgen.Statement{
				{Name: "lock", SQL: "SELECT * FROM t WHERE id = $1 FOR UPDATE"},
				{Name: "write", SQL: "UPDATE t SET v = $1 WHERE id = $2"},
			}},
		}}},
		{name: "new", spec: loadgen.Workload{Queries: []loadgen.Query{
			{Name: "extra", SQL: "SELECT extra FROM t WHERE id = $1"},
		}}},
	}}
	cs, err := prepareCached(ctx, conn, tr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "ALTER TABLE t ADD COLUMN extra int"); err != nil {
		t.Fatal(err)
	}
	got, err := cs.execute(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"star": "0A000", "listed": "", "pay.lock": "0A000", "pay.write": ""}
	if len(got) != len(want) {
		t.Fatalf("outcomes %+v, want %d (new code's query did not prepare before the step)", got, len(want))
	}
	for _, o := range got {
		if code, ok := want[o.Query]; !ok || o.SQLState != code || o.OK != (code == "") || o.Workload != "old" {
			t.Errorf("%+v, want SQLSTATE %q", o, code)
		}
	}
	var left int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_prepared_statements", pgx.QueryExecModeSimpleProtocol).Scan(&left); err != nil || left != 0 {
		t.Errorf("%d prepared statements left (%v)", left, err)
	}
}
