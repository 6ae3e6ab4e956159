package loadgen

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// rollbackTimeout bounds the ROLLBACK of a failed transaction when the
// request's own ctx has ended (shutdown): the connection is then dropped.
const rollbackTimeout = time.Second

// exec runs request j on w.conn: its statement, or its transaction. The
// statement outcomes are those of a transaction's statements that ran.
func (w *worker) exec(ctx context.Context, j job) ([]stmtOutcome, error) {
	q := &w.r.queries[j.query]
	if len(q.Statements) == 0 {
		return nil, w.run(ctx, j.query, 0, q.SQL, j.args)
	}
	return w.transaction(ctx, j, q)
}

// transaction runs q's statements between BEGIN and COMMIT, pausing q.Think
// after each. The first failure rolls back and ends it.
func (w *worker) transaction(ctx context.Context, j job, q *Query) ([]stmtOutcome, error) {
	outs := make([]stmtOutcome, 0, len(q.Statements))
	tx, err := w.conn.Begin(ctx)
	if err != nil {
		return outs, fmt.Errorf("begin: %w", err)
	}
	for i, st := range q.Statements {
		o := stmtOutcome{sent: time.Now()}
		o.err = w.run(ctx, j.query, i+1, st.SQL, pick(j.args, st.Args))
		o.done = time.Now()
		outs = append(outs, o)
		err := o.err
		if err == nil && q.Think > 0 && !sleepCtx(ctx, q.Think) {
			err = ctx.Err() // shutdown during the pause: the request is cancelled
		}
		if err != nil {
			rollback(ctx, tx)
			return outs, err
		}
	}
	return outs, tx.Commit(ctx)
}

// rollback ends a failed transaction. pgx closes the connection when the
// ROLLBACK itself fails, and the worker reconnects before its next request.
func rollback(ctx context.Context, tx pgx.Tx) {
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
		defer cancel()
	}
	_ = tx.Rollback(ctx) // a failure closes the connection: nothing else to do
}

// run executes one statement with the workload's protocol and reads every
// row, so that a SELECT is fully executed. stmt numbers the statement within
// its query (0 for a plain query) to name its prepared statement.
func (w *worker) run(ctx context.Context, query, stmt int, sql string, args []any) error {
	if w.r.proto == ProtocolPrepared {
		// Conn.Prepare returns at once when the name is already prepared on
		// this connection; the statement is never prepared again after that.
		name := fmt.Sprintf("rehearse_%d_%d", query, stmt)
		if _, err := w.conn.Prepare(ctx, name, sql); err != nil {
			return err
		}
		sql = name
	}
	rows, err := w.conn.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	rows.Close()
	return rows.Err()
}

// pick returns the arguments at idx.
func pick(args []any, idx []int) []any {
	if len(idx) == 0 {
		return nil
	}
	out := make([]any, len(idx))
	for i, k := range idx {
		out[i] = args[k]
	}
	return out
}
