package migrate

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
)

// progressEvery is how often a batch step reports how far it got.
const progressEvery = 2 * time.Second

// runBatch walks the key range of the batch table in ranges of Size keys;
// each range is one statement in its own transaction, followed by Pause.
func (r *Runner) runBatch(ctx context.Context, step *scenarios.Step, out *result.Step) error {
	b := step.Batch
	lo, hi, ok, err := r.keyRange(ctx, b)
	if err != nil || !ok {
		return err
	}
	if err := setTimeouts(ctx, r.conn, step, "SET"); err != nil {
		return err
	}
	defer resetTimeouts(context.WithoutCancel(ctx), r.conn, step)
	size := int64(b.Size)
	total := (hi-lo)/size + 1
	lastReport := time.Now()
	for from := lo; from <= hi; from += size {
		tag, err := r.conn.Exec(ctx, b.SQL, from, from+size)
		if err != nil {
			return fmt.Errorf("batch [%d, %d): %w", from, from+size, statementError(scenarios.Statement{SQL: b.SQL}, err))
		}
		out.Batches++
		out.Rows += tag.RowsAffected()
		if time.Since(lastReport) >= progressEvery {
			fmt.Fprintf(r.progress, "  %s: batch %d/%d, %d rows\n", step.Name, out.Batches, total, out.Rows)
			lastReport = time.Now()
		}
		if err := pause(ctx, b.Pause.D()); err != nil {
			return err
		}
	}
	return nil
}

// keyRange returns the smallest and largest key; ok is false for an empty table.
func (r *Runner) keyRange(ctx context.Context, b *scenarios.Batch) (lo, hi int64, ok bool, err error) {
	key := pgx.Identifier{b.Key}.Sanitize()
	sql := fmt.Sprintf("SELECT min(%s)::bigint, max(%s)::bigint FROM %s", key, key, tableIdent(b.Table))
	var min, max *int64
	if err := r.conn.QueryRow(ctx, sql).Scan(&min, &max); err != nil {
		return 0, 0, false, fmt.Errorf("key range of %s.%s (the key must be an integer column): %w", b.Table, b.Key, err)
	}
	if min == nil {
		return 0, 0, false, nil
	}
	return *min, *max, true, nil
}

func pause(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// tableIdent quotes a table name that may be schema-qualified ("s.t").
func tableIdent(name string) string {
	return pgx.Identifier(splitQualified(name)).Sanitize()
}

func splitQualified(name string) []string {
	for i := 0; i < len(name); i++ {
		if name[i] == '.' {
			return []string{name[:i], name[i+1:]}
		}
	}
	return []string{name}
}
