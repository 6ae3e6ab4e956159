package loadgen

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestErrorsAreCountedPerDistinctConnection(t *testing.T) {
	t.Parallel()
	r := newRecorder([]Query{{Name: "a"}, {Name: "b"}}, t0, t0)
	stale := &pgconn.PgError{Code: "0A000"}
	for _, o := range []outcome{
		{query: 0, conn: 1, err: stale},
		{query: 0, conn: 1, err: stale}, // the same connection again
		{query: 0, conn: 2, err: stale},
		{query: 1, conn: 3, err: stale},
		{query: 1, conn: 0, err: errors.New("argument generator panicked")}, // never reached a connection
		{query: 1, conn: 3},
	} {
		o.due, o.sent, o.done = t0, t0, t0.Add(time.Millisecond)
		r.record(o)
	}
	queries, _, _ := r.summary(t0)
	a, b := queries[0], queries[1]
	if a.ErrorsBySQLState["0A000"] != 3 || a.ConnectionsBySQLState["0A000"] != 2 {
		t.Errorf("a: errors %v on connections %v, want 3 on 2", a.ErrorsBySQLState, a.ConnectionsBySQLState)
	}
	if b.ConnectionsBySQLState["0A000"] != 1 || b.ConnectionsBySQLState[ClientErrorKey] != 0 || b.ErrorsBySQLState[ClientErrorKey] != 1 {
		t.Errorf("b: errors %v on connections %v", b.ErrorsBySQLState, b.ConnectionsBySQLState)
	}
	if got := r.workloadConns(); got["0A000"] != 3 || len(got) != 1 {
		t.Errorf("workload connections by SQLSTATE %v, want 0A000 on 3", got)
	}
}

func TestTransactionStatementsAndPoolWaitSummaries(t *testing.T) {
	t.Parallel()
	r := newRecorder([]Query{{Name: "tx", Statements: []Statement{{Name: "one"}, {Name: "two"}}}}, t0, t0)
	ms := time.Millisecond
	failed := &pgconn.PgError{Code: "40P01"}
	r.record(outcome{query: 0, phase: "base", due: t0, sent: t0.Add(5 * ms), done: t0.Add(20 * ms), conn: 1,
		stmts: []stmtOutcome{{sent: t0.Add(6 * ms), done: t0.Add(8 * ms)}, {sent: t0.Add(8 * ms), done: t0.Add(18 * ms)}}})
	r.record(outcome{query: 0, phase: "step", due: t0, sent: t0.Add(300 * ms), done: t0.Add(310 * ms), conn: 1, err: failed,
		stmts: []stmtOutcome{{sent: t0.Add(301 * ms), done: t0.Add(303 * ms)}, {sent: t0.Add(303 * ms), done: t0.Add(310 * ms), err: failed}}})
	queries, _, _ := r.summary(t0)
	st := queries[0].Statements
	if len(st) != 2 || st[0].Count != 2 || st[0].Errors != 0 || !near(st[0].MaxMS, 2) ||
		st[1].Count != 2 || st[1].ErrorsBySQLState["40P01"] != 1 || !near(st[1].MaxMS, 10) {
		t.Errorf("statements %+v", st)
	}
	pw := r.poolWait()
	if pw.Count != 2 || !near(pw.MaxMS, 300) || !near(pw.ByPhase["base"].MaxMS, 5) || pw.ByPhase["step"].Count != 1 {
		t.Errorf("pool wait %+v", pw)
	}
}

func TestWorkloadValidationReportsEveryProblem(t *testing.T) {
	t.Parallel()
	w := Workload{Name: "old", Rate: 1, Connections: 1, Protocol: "cachd", Queries: []Query{
		{Name: "plain", SQL: "SELECT 1", Weight: 1, Think: time.Second},
		{Name: "both", SQL: "SELECT 1", Weight: 1, Think: -time.Second, Statements: []Statement{{Name: "a", SQL: "SELECT 1"}}},
		{Name: "tx", Weight: 1, Args: []ArgFunc{idArg}, Statements: []Statement{
			{Name: "a", SQL: "SELECT $1", Args: []int{0}}, {Name: "a", Args: []int{1}}}},
	}}
	err := w.validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`protocol "cachd"`, `("plain"): think applies to transactions only`, `("both"): give sql or statements, not both`,
		`("both"): think -1s must be >= 0`, `statement 1 ("a"): duplicate name`, `statement 1 ("a"): sql is empty`, `argument index 1 out of range`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}
