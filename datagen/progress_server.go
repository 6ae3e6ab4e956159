package datagen

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/internal/dbconn"
	"github.com/rehearse/rehearse/internal/human"
)

// serverProgressInterval is how often the load's long statements other
// than COPY (index builds, foreign key validation, VACUUM, ANALYZE) are
// reported: at 100M rows each takes minutes, and without these lines the
// load would look stuck after its last bar.
const serverProgressInterval = 15 * time.Second

// serverProgressSQL lists the load's statements that have run longer than
// the interval, with what PostgreSQL's progress views say of them: a phase
// and a done/total pair (blocks, else tuples), or nothing (a foreign key
// validation is a plain query).
const serverProgressSQL = `
SELECT a.pid, coalesce(i.relid::regclass::text, v.relid::regclass::text, z.relid::regclass::text, ''),
       coalesce(i.command || ' ' || i.phase, 'VACUUM ' || v.phase, 'ANALYZE ' || z.phase, left(a.query, 60)),
       coalesce(CASE WHEN i.blocks_total > 0 THEN i.blocks_done WHEN i.tuples_total > 0 THEN i.tuples_done END,
                v.heap_blks_scanned, z.sample_blks_scanned, 0),
       coalesce(CASE WHEN i.blocks_total > 0 THEN i.blocks_total WHEN i.tuples_total > 0 THEN i.tuples_total END,
                v.heap_blks_total, z.sample_blks_total, 0),
       extract(epoch FROM now() - a.query_start)
FROM pg_stat_activity a
LEFT JOIN pg_stat_progress_create_index i ON i.pid = a.pid
LEFT JOIN pg_stat_progress_vacuum v ON v.pid = a.pid
LEFT JOIN pg_stat_progress_analyze z ON z.pid = a.pid
WHERE a.datname = current_database() AND a.state = 'active' AND a.application_name = $1
  AND a.backend_type = 'client backend' -- parallel index build workers report through their leader
  AND a.query NOT ILIKE 'COPY %' AND now() - a.query_start > $2::interval
ORDER BY a.pid`

// watchServer reports the load's long statements every interval until the
// returned function is called. It has its own connection; when that fails
// there are no such lines, and the load goes on.
func watchServer(ctx context.Context, dsn string, p *progress, interval time.Duration) (stop func()) {
	if p == nil || p.w == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		conn, err := dbconn.Connect(ctx, dsn, dbconn.Datagen)
		if err != nil {
			return
		}
		defer conn.Close(context.WithoutCancel(ctx))
		seen := map[string]sample{}
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			reportServer(ctx, conn, p, interval, seen)
		}
	})
	return func() { cancel(); wg.Wait() }
}

// sample is the first sighting of a statement in a phase: where ETAs start.
type sample struct {
	at   time.Time
	done float64
}

func reportServer(ctx context.Context, conn *pgx.Conn, p *progress, interval time.Duration, seen map[string]sample) {
	rows, err := conn.Query(ctx, serverProgressSQL, dbconn.Datagen, interval.String())
	if err != nil {
		return
	}
	defer rows.Close()
	for rows.Next() {
		var (
			pid               int32
			rel, what         string
			done, total, ageS float64
		)
		if rows.Scan(&pid, &rel, &what, &done, &total, &ageS) != nil {
			return
		}
		age := (time.Duration(ageS) * time.Second).Round(time.Second)
		line := fmt.Sprintf("in progress for %s: %s", age, human.Clip(what, 60))
		if rel != "" {
			line += " on " + rel
		}
		if total > 0 {
			line += fmt.Sprintf(", %.0f%%", 100*done/total)
			key := fmt.Sprintf("%d %s %s", pid, rel, what)
			now := time.Now()
			if s, ok := seen[key]; !ok {
				seen[key] = sample{now, done}
			} else if done > s.done {
				rate := (done - s.done) / now.Sub(s.at).Seconds()
				line += fmt.Sprintf(", %s left in this phase", (time.Duration((total-done)/rate) * time.Second).Round(time.Second))
			}
		}
		p.logf("%s", line)
	}
}
