package migrate

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
)

// progressEvery is how often a batch step reports how far it got.
const progressEvery = 2 * time.Second

// throttlePoll is how often a throttled batch step looks at the traffic again.
const throttlePoll = 100 * time.Millisecond

// runBatch walks the key range of the batch table in ranges of Size keys;
// each range is one statement in its own transaction, followed by Pause. A
// batch that fails on lock_timeout is tried again when the step sets retry,
// and a step that stops records the first key not done (ResumeFrom).
func (r *Runner) runBatch(ctx context.Context, step *scenarios.Step, out *result.Step) error {
	b := step.Batch
	lo, hi, ok, err := r.keyRange(ctx, b)
	if err != nil || !ok {
		return err
	}
	policy := retryPolicyOf(step)
	if err := policy.timeouts.set(ctx, r.conn, "SET"); err != nil {
		return err
	}
	defer policy.timeouts.reset(context.WithoutCancel(ctx), r.conn)
	size := int64(b.Size)
	total := (hi-lo)/size + 1
	lastReport := time.Now()
	for from := lo; from <= hi; from += size {
		if err := r.throttle(ctx, b.Throttle, out); err != nil {
			return stopped(out, from, err)
		}
		rows, err := r.batchWithRetry(ctx, step, policy, from, from+size, out)
		if err != nil {
			return stopped(out, from, err)
		}
		out.Batches++
		out.Rows += rows
		if time.Since(lastReport) >= progressEvery {
			fmt.Fprintf(r.progress, "  %s: batch %d/%d, %d rows\n", step.Name, out.Batches, total, out.Rows)
			lastReport = time.Now()
		}
		if err := pause(ctx, b.Pause.D()); err != nil {
			return stopped(out, from+size, err)
		}
	}
	return nil
}

func stopped(out *result.Step, next int64, err error) error {
	out.ResumeFrom = &next
	return err
}

// batchWithRetry runs one batch [from, to), trying again on lock_timeout.
func (r *Runner) batchWithRetry(ctx context.Context, step *scenarios.Step, policy retryPolicy, from, to int64, out *result.Step) (int64, error) {
	for attempt := 1; ; attempt++ {
		tag, err := r.conn.Exec(ctx, step.Batch.SQL, from, to)
		if err == nil {
			if step.Retry != nil {
				out.Attempts = max(out.Attempts, attempt)
			}
			return tag.RowsAffected(), nil
		}
		if !isLockTimeout(err) || attempt >= policy.attempts {
			return 0, fmt.Errorf("batch [%d, %d): %w", from, to, statementError(scenarios.Statement{SQL: step.Batch.SQL}, err))
		}
		out.LockTimeouts++
		if err := pause(ctx, policy.backoff(attempt)); err != nil {
			return 0, err
		}
	}
}

// throttle waits while the traffic's p99, or the standby's replay lag, is
// above the step's limit for it (a zero limit is not watched).
func (r *Runner) throttle(ctx context.Context, t *scenarios.Throttle, out *result.Step) error {
	if t == nil {
		return nil
	}
	began := time.Now()
	defer func() { out.ThrottledMS += time.Since(began).Milliseconds() }()
	for (t.MaxP99 > 0 && r.liveP99() > t.MaxP99.D()) ||
		(t.MaxReplicationLag > 0 && r.replicaLag() > t.MaxReplicationLag.D()) {
		if err := pause(ctx, throttlePoll); err != nil {
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
