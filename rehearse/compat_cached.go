package rehearse

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// cachedStatements are the traffic's statements prepared on one connection
// before a step, as a statement-caching driver holds them when the step
// begins. Not safe for concurrent use; the connection must be idle.
type cachedStatements struct {
	stmts []cachedStmt
}

type cachedStmt struct {
	workload, query string // query is query.statement for a transaction's statements
	name            string // the server-side prepared statement
	params          int
}

// cachedOutcome is what executing a statement prepared before a step does
// after it: OK false with SQLSTATE 0A000 is a statement that still prepares
// fresh but fails once on every connection of a cached driver.
type cachedOutcome struct {
	Workload, Query string
	OK              bool
	SQLState, Error string
}

// prepareCached prepares every statement of every workload on conn under a
// name of its own. A statement that does not prepare now (new code before
// its column exists) is left out: no driver could have cached it.
func prepareCached(ctx context.Context, conn *pgx.Conn, t *traffic) (*cachedStatements, error) {
	cs := &cachedStatements{}
	n := 0
	for _, w := range t.workloads {
		for _, q := range w.spec.Queries {
			for _, st := range queryStatements(q) {
				n++
				name := fmt.Sprintf("rehearse_cached_%d", n)
				sd, err := conn.PgConn().Prepare(ctx, name, st.SQL, nil)
				var pgErr *pgconn.PgError
				switch {
				case errors.As(err, &pgErr):
					continue
				case err != nil:
					return cs, fmt.Errorf("prepare %s query %s: %w", w.name, st.Name, err)
				}
				cs.stmts = append(cs.stmts, cachedStmt{workload: w.name, query: st.Name, name: name, params: len(sd.ParamOIDs)})
			}
		}
	}
	return cs, nil
}

// execute plans each prepared statement with NULL arguments through
// EXPLAIN EXECUTE, which revalidates the cached plan as a driver's next
// execution would but runs nothing, then deallocates it.
func (cs *cachedStatements) execute(ctx context.Context, conn *pgx.Conn) ([]cachedOutcome, error) {
	out := make([]cachedOutcome, 0, len(cs.stmts))
	for _, st := range cs.stmts {
		o := cachedOutcome{Workload: st.workload, Query: st.query, OK: true}
		nulls := strings.TrimSuffix(strings.Repeat("NULL, ", st.params), ", ")
		sql := "EXPLAIN EXECUTE " + pgx.Identifier{st.name}.Sanitize()
		if st.params > 0 {
			sql += "(" + nulls + ")"
		}
		_, err := conn.Exec(ctx, sql)
		var pgErr *pgconn.PgError
		switch {
		case errors.As(err, &pgErr):
			o.OK, o.SQLState, o.Error = false, pgErr.Code, pgErr.Message
		case err != nil:
			return out, fmt.Errorf("execute %s query %s: %w", st.workload, st.query, err)
		}
		if err := conn.PgConn().Deallocate(ctx, st.name); err != nil {
			return out, fmt.Errorf("deallocate %s: %w", st.name, err)
		}
		out = append(out, o)
	}
	cs.stmts = nil
	return out, nil
}
