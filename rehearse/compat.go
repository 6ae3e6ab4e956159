package rehearse

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rehearse/rehearse/result"
)

// BeforeMigration is the after_step name of the compatibility check made
// before the first step.
const BeforeMigration = "baseline"

// checkCompatibility prepares (never executes) every query of every workload
// against the schema as it is now: the one rule, checked directly. conn must
// be idle; an unnamed statement is prepared, so nothing is left behind.
func checkCompatibility(ctx context.Context, conn *pgx.Conn, t *traffic, afterStep string) ([]result.Compatibility, error) {
	running := t.runningNames()
	var out []result.Compatibility
	for _, w := range t.workloads {
		for _, q := range w.spec.Queries {
			for _, st := range queryStatements(q) {
				c := result.Compatibility{Workload: w.name, Query: st.Name, AfterStep: afterStep, OK: true, Running: running[w.name]}
				_, err := conn.PgConn().Prepare(ctx, "", st.SQL, nil)
				var pgErr *pgconn.PgError
				switch {
				case errors.As(err, &pgErr):
					c.OK, c.SQLState, c.Error = false, pgErr.Code, pgErr.Message
				case err != nil:
					return out, err
				}
				out = append(out, c)
			}
		}
	}
	return out, nil
}

// mergeCached adds what statements prepared before a step do when executed
// after it, as a caching driver would.
func mergeCached(compat []result.Compatibility, cached []cachedOutcome) {
	type key struct{ workload, query string }
	byKey := map[key]cachedOutcome{}
	for _, o := range cached {
		byKey[key{o.Workload, o.Query}] = o
	}
	for i := range compat {
		o, ok := byKey[key{compat[i].Workload, compat[i].Query}]
		if !ok {
			continue
		}
		okCopy := o.OK
		compat[i].CachedOK, compat[i].CachedSQLState, compat[i].CachedError = &okCopy, o.SQLState, o.Error
	}
}

// runningNames lists the workloads serving traffic now.
func (t *traffic) runningNames() map[string]bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	names := map[string]bool{}
	for name := range t.running {
		names[name] = true
	}
	return names
}
