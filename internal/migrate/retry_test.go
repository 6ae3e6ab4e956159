package migrate_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rehearse/rehearse/internal/migrate"
	"github.com/rehearse/rehearse/internal/pgtest"
	"github.com/rehearse/rehearse/scenarios"
)

// holdLock takes mode on users in a transaction of its own and returns the
// function that releases it.
func holdLock(t *testing.T, dsn, mode string) func() {
	t.Helper()
	ctx := context.Background()
	tx, err := pgtest.Connect(t, dsn).Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE users IN "+mode+" MODE"); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release := func() { once.Do(func() { tx.Commit(ctx) }) }
	t.Cleanup(release)
	return release
}

// progressTrigger calls do once, when a progress line contains substr.
type progressTrigger struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	substr string
	do     func()
}

func (p *progressTrigger) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf.Write(b)
	if p.do != nil && strings.Contains(p.buf.String(), p.substr) {
		p.do()
		p.do = nil
	}
	return len(b), nil
}

func connectWith(t *testing.T, dsn string, opts ...migrate.Option) *migrate.Runner {
	t.Helper()
	r, err := migrate.Connect(context.Background(), dsn, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(context.Background()) })
	return r
}

var quickRetry = &scenarios.Retry{Attempts: 5, LockTimeout: scenarios.Duration(50 * time.Millisecond), Backoff: scenarios.Duration(20 * time.Millisecond)}

func TestRetryAfterLockTimeoutSucceedsOnceTheLockIsFree(t *testing.T) {
	dsn, _ := setup(t)
	release := holdLock(t, dsn, "ACCESS SHARE")
	r := connectWith(t, dsn, migrate.WithProgress(&progressTrigger{substr: "lock_timeout on try 1", do: release}))
	out := r.Run(context.Background(), &scenarios.Step{Name: "add", SQL: "ALTER TABLE users ADD COLUMN c int", Retry: quickRetry})
	if out.Error != "" {
		t.Fatalf("step failed: %s", out.Error)
	}
	if out.LockTimeouts < 1 || out.Attempts != out.LockTimeouts+1 {
		t.Errorf("attempts=%d lock_timeouts=%d, want one more attempt than timeouts", out.Attempts, out.LockTimeouts)
	}
}

func TestRetryGivesUpAfterItsAttempts(t *testing.T) {
	dsn, r := setup(t)
	holdLock(t, dsn, "ACCESS SHARE")
	retry := *quickRetry
	retry.Attempts = 3
	out := r.Run(context.Background(), &scenarios.Step{Name: "add", SQL: "ALTER TABLE users ADD COLUMN c int", Retry: &retry})
	if out.SQLState != "55P03" || out.Attempts != 3 || out.LockTimeouts != 2 {
		t.Errorf("step = %+v, want 55P03 after 3 attempts (2 retried timeouts)", out)
	}
}

func TestRetryOutsideATransactionResumesAtTheFailedStatement(t *testing.T) {
	dsn, _ := setup(t)
	release := holdLock(t, dsn, "ACCESS SHARE")
	r := connectWith(t, dsn, migrate.WithProgress(&progressTrigger{substr: "lock_timeout on try 1", do: release}))
	f := false
	// Run twice, CREATE TABLE would fail with "already exists".
	out := r.Run(context.Background(), &scenarios.Step{Name: "s", Transaction: &f, Retry: quickRetry,
		SQL: "CREATE TABLE audit (id int); ALTER TABLE users ADD COLUMN c int"})
	if out.Error != "" || out.LockTimeouts < 1 {
		t.Fatalf("step = %+v, want success after a lock timeout", out)
	}
}

func TestBatchRetriesAndReportsWhereItStopped(t *testing.T) {
	dsn, _ := setup(t)
	release := holdLock(t, dsn, "SHARE")
	r := connectWith(t, dsn)
	step := &scenarios.Step{Name: "backfill", Retry: &scenarios.Retry{Attempts: 2, LockTimeout: scenarios.Duration(50 * time.Millisecond)},
		Batch: &scenarios.Batch{Table: "users", Key: "id", Size: 1000, SQL: "UPDATE users SET n = -n WHERE id >= $1 AND id < $2"}}
	out := r.Run(context.Background(), step)
	if out.SQLState != "55P03" || out.ResumeFrom == nil || *out.ResumeFrom != 1 || out.Batches != 0 {
		t.Fatalf("step = %+v, want 55P03 on the first batch, resume from key 1", out)
	}
	release()
	out = r.Run(context.Background(), &scenarios.Step{Name: "backfill", Batch: &scenarios.Batch{Table: "users", Key: "id", Size: 1000,
		SQL: "UPDATE users SET n = n / (id - 5000) WHERE id >= $1 AND id < $2"}})
	if out.SQLState != "22012" || out.ResumeFrom == nil || *out.ResumeFrom != 4001 || out.Batches != 4 {
		t.Errorf("step = %+v, want division by zero in the batch from 4001 after 4 batches", out)
	}
}

func TestThrottleWaitsForTrafficToRecover(t *testing.T) {
	dsn, _ := setup(t)
	var calls atomic.Int64
	slowTraffic := func() time.Duration {
		if calls.Add(1) <= 3 {
			return time.Second
		}
		return time.Millisecond
	}
	r := connectWith(t, dsn, migrate.WithLiveP99(slowTraffic))
	out := r.Run(context.Background(), &scenarios.Step{Name: "backfill", Batch: &scenarios.Batch{Table: "users", Key: "id", Size: 5000,
		SQL: "UPDATE users SET n = -n WHERE id >= $1 AND id < $2", Throttle: &scenarios.Throttle{MaxP99: scenarios.Duration(50 * time.Millisecond)}}})
	if out.Error != "" || out.Batches != 2 {
		t.Fatalf("step = %+v", out)
	}
	// Three looks over the limit mean at least two polls of 100ms.
	if out.ThrottledMS < 200 {
		t.Errorf("throttled %dms, want at least 200ms", out.ThrottledMS)
	}
}
