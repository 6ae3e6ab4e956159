package loadgen

import (
	"context"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brianvoe/gofakeit/v7"
	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/internal/pgtest"
	"github.com/rehearse/rehearse/result"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// pollTimeout bounds every wait for a condition: a bug fails the test
// instead of hanging it.
const pollTimeout = 20 * time.Second

// eventually polls cond until it holds or pollTimeout passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(pollTimeout)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// newTable creates t(id, v) with 100 rows and returns the database's DSN.
func newTable(t *testing.T) string {
	t.Helper()
	dsn := pgtest.NewDB(t)
	pgtest.Exec(t, dsn, `CREATE TABLE t (id int PRIMARY KEY, v text NOT NULL);
		INSERT INTO t SELECT g, 'row ' || g FROM generate_series(1, 100) g`)
	return dsn
}

func idArg(f *gofakeit.Faker) any { return f.IntRange(1, 100) }

func start(t *testing.T, dsn string, w Workload, opts ...Option) *Run {
	t.Helper()
	r, err := Start(context.Background(), dsn, w, opts...)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	return r
}

func waitDone(t *testing.T, r *Run) {
	t.Helper()
	select {
	case <-r.Done():
	case <-time.After(pollTimeout):
		t.Fatal("run did not finish its requests")
	}
}

func stop(t *testing.T, r *Run, within time.Duration) result.Workload {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	return r.Stop(ctx)
}

// sessions counts the backends with application_name app; waiting counts
// only those waiting on a heavyweight lock.
func sessions(t *testing.T, conn *pgx.Conn, app string, waiting bool) int {
	t.Helper()
	var n int
	err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
		WHERE application_name = $1 AND (NOT $2 OR wait_event_type = 'Lock')`, app, waiting).Scan(&n)
	if err != nil {
		t.Fatalf("pg_stat_activity: %v", err)
	}
	return n
}

// noLeak fails the test unless the goroutine count returns to before.
func noLeak(t *testing.T, before int) {
	t.Helper()
	eventually(t, "goroutines to exit", func() bool { return runtime.NumGoroutine() <= before })
}

func total(w result.Workload) (count, errs int64) {
	for _, q := range w.Queries {
		count += q.Count
		errs += q.Errors
	}
	return count, errs
}

func query(t *testing.T, w result.Workload, name string) result.Query {
	t.Helper()
	for _, q := range w.Queries {
		if q.Name == name {
			return q
		}
	}
	t.Fatalf("no query %q in %+v", name, w.Queries)
	return result.Query{}
}

func TestSteadyWorkloadCompletesEveryRequest(t *testing.T) {
	dsn := newTable(t)
	before := runtime.NumGoroutine()
	const rate, n = 200, 200
	r := start(t, dsn, Workload{
		Name: "old", AppName: "rehearse/old", Rate: rate, Connections: 4, Seed: 1,
		Queries: []Query{
			{Name: "get", SQL: "SELECT id, v FROM t WHERE id = $1", Weight: 3, Args: []ArgFunc{idArg}},
			{Name: "touch", SQL: "UPDATE t SET v = $2 WHERE id = $1", Weight: 1, Args: []ArgFunc{idArg, func(f *gofakeit.Faker) any { return f.Word() }}},
			{Name: "scan", SQL: "SELECT * FROM t", Weight: 1},
		},
	}, WithMaxRequests(n))
	waitDone(t, r)
	w := stop(t, r, 10*time.Second)
	noLeak(t, before)

	count, errs := total(w)
	s := r.Stats()
	if count != n || errs != 0 || w.Dropped != 0 || s.Scheduled != n || s.Completed != n || s.Unsent != 0 || s.Cancelled != 0 {
		t.Fatalf("count %d errors %d dropped %d, stats %+v; first errors %+v", count, errs, w.Dropped, s, w.Queries)
	}
	if w.Name != "old" || w.TargetRate != rate || w.ByPhase[DefaultPhase].Count != n {
		t.Errorf("workload %q target %v by phase %+v", w.Name, w.TargetRate, w.ByPhase)
	}
	for _, q := range w.Queries {
		if q.Count == 0 || q.ByPhase[DefaultPhase].Count != q.Count || q.P50MS <= 0 || q.MaxMS < q.P99MS || q.P99MS < q.P50MS {
			t.Errorf("query %+v", q)
		}
	}
	// Nothing can complete faster than it is scheduled: the last of n requests
	// is due (n-1)/rate seconds after the start.
	if w.AchievedRate <= 0 || w.AchievedRate > float64(n)/(float64(n-1)/rate) {
		t.Errorf("achieved rate %v", w.AchievedRate)
	}
	var inTimeline int64
	for _, p := range w.Timeline {
		inTimeline += p.Count
	}
	if inTimeline != n {
		t.Errorf("timeline counts %d requests: %+v", inTimeline, w.Timeline)
	}
	if again := r.Stop(context.Background()); again.AchievedRate != w.AchievedRate {
		t.Error("second Stop returned a different summary")
	}
}

func TestApplicationNameAndStopClosesConnections(t *testing.T) {
	dsn := newTable(t)
	observer := pgtest.Connect(t, dsn)
	r := start(t, dsn, Workload{
		Name: "new", Rate: 50, Connections: 3,
		Queries: []Query{{Name: "get", SQL: "SELECT v FROM t WHERE id = $1", Weight: 1, Args: []ArgFunc{idArg}}},
	})
	// Start returns only once every connection is open: no polling needed.
	if n := sessions(t, observer, "rehearse/new", false); n != 3 {
		t.Errorf("%d sessions named rehearse/new while running, want 3", n)
	}
	stop(t, r, 10*time.Second)
	eventually(t, "the workload's sessions to end", func() bool { return sessions(t, observer, "rehearse/new", false) == 0 })
}

func TestWeightsAndSeedReproduceTheMix(t *testing.T) {
	dsn := pgtest.NewDB(t)
	w := Workload{Name: "mix", Rate: 2000, Connections: 4, Seed: 99, Queries: []Query{
		{Name: "one", SQL: "SELECT 1", Weight: 1},
		{Name: "two", SQL: "SELECT 2", Weight: 2},
		{Name: "seven", SQL: "SELECT 7", Weight: 7},
	}}
	counts := func() map[string]int64 {
		r := start(t, dsn, w, WithMaxRequests(1000))
		waitDone(t, r)
		out := map[string]int64{}
		for _, q := range stop(t, r, 10*time.Second).Queries {
			out[q.Name] = q.Count
		}
		return out
	}
	first := counts()
	for name, share := range map[string]float64{"one": 0.1, "two": 0.2, "seven": 0.7} {
		if got := float64(first[name]) / 1000; got < share-0.05 || got > share+0.05 {
			t.Errorf("%s: share %.3f, want %.1f ± 0.05", name, got, share)
		}
	}
	if second := counts(); first["one"] != second["one"] || first["two"] != second["two"] || first["seven"] != second["seven"] {
		t.Errorf("same seed, different mix: %v vs %v", first, second)
	}
}

func TestErrorsAreDataClassifiedBySQLState(t *testing.T) {
	dsn := newTable(t)
	r := start(t, dsn, Workload{Name: "old", Rate: 300, Connections: 2, Seed: 5, Queries: []Query{
		{Name: "good", SQL: "SELECT v FROM t WHERE id = $1", Weight: 1, Args: []ArgFunc{idArg}},
		{Name: "renamed", SQL: "SELECT missing_col FROM t WHERE id = $1", Weight: 1, Args: []ArgFunc{idArg}},
		{Name: "no_args", SQL: "SELECT v FROM t WHERE id = $1", Weight: 1}, // pgx refuses: client error
	}}, WithMaxRequests(150))
	waitDone(t, r)
	w := stop(t, r, 10*time.Second)

	good, renamed, noArgs := query(t, w, "good"), query(t, w, "renamed"), query(t, w, "no_args")
	if good.Errors != 0 || good.Count == 0 {
		t.Errorf("good: %+v", good)
	}
	if renamed.Count == 0 || renamed.Errors != renamed.Count || renamed.ErrorsBySQLState["42703"] != renamed.Count || len(renamed.ErrorsBySQLState) != 1 {
		t.Errorf("renamed: %+v", renamed)
	}
	if !strings.Contains(renamed.FirstError, "missing_col") || renamed.ByPhase[DefaultPhase].Errors != renamed.Count {
		t.Errorf("renamed: first error %q, by phase %+v", renamed.FirstError, renamed.ByPhase)
	}
	if noArgs.Count == 0 || noArgs.ErrorsBySQLState[ClientErrorKey] != noArgs.Count {
		t.Errorf("no_args: %+v", noArgs)
	}
	if good.Count+renamed.Count+noArgs.Count != 150 || r.Stats().Errors != renamed.Count+noArgs.Count {
		t.Errorf("counts %d+%d+%d, stats %+v", good.Count, renamed.Count, noArgs.Count, r.Stats())
	}
	if w.ByPhase[DefaultPhase].Errors != renamed.Count+noArgs.Count || r.Stats().Reconnects != 0 {
		t.Errorf("by phase %+v, stats %+v", w.ByPhase, r.Stats())
	}
}

func TestPhaseIsReadWhenARequestIsScheduled(t *testing.T) {
	dsn := newTable(t)
	var phase atomic.Pointer[string]
	phase.Store(ptr("before"))
	r := start(t, dsn, Workload{Name: "old", Rate: 200, Connections: 2, Queries: []Query{
		{Name: "get", SQL: "SELECT v FROM t WHERE id = $1", Weight: 1, Args: []ArgFunc{idArg}},
	}}, WithPhase(func() string { return *phase.Load() }))
	// Wait on the scheduler's progress, not the database's: the switch must
	// happen mid-run however slow the server is.
	eventually(t, "30 requests scheduled", func() bool { return r.Stats().Scheduled >= 30 })
	scheduledBefore := r.Stats().Scheduled
	phase.Store(ptr("after"))
	scheduledAfter := r.Stats().Scheduled
	eventually(t, "30 more requests scheduled", func() bool { return r.Stats().Scheduled >= scheduledAfter+30 })
	w := stop(t, r, pollTimeout)
	s := r.Stats()

	b, a := w.ByPhase["before"].Count, w.ByPhase["after"].Count
	if s.Completed != s.Scheduled || len(w.ByPhase) != 2 || a+b != s.Completed {
		t.Fatalf("stats %+v, phases %+v", s, w.ByPhase)
	}
	// A request takes the phase of the moment it is scheduled; one may have
	// read "before" and not yet been counted when the phase changed.
	if b < scheduledBefore || b > scheduledAfter+1 || a < 29 {
		t.Errorf("before %d (scheduled %d..%d), after %d", b, scheduledBefore, scheduledAfter, a)
	}
	if q := query(t, w, "get"); q.ByPhase["before"].Count != b || q.ByPhase["after"].Count != a {
		t.Errorf("query by phase %+v", q.ByPhase)
	}
}

func ptr[T any](v T) *T { return &v }

// The heart of the open model: a 2 s lock shows as 2 s of latency, and the
// requests due during it are executed late, not dropped or skipped.
func TestLockStallIsMeasuredFromTheScheduledTime(t *testing.T) {
	dsn := newTable(t)
	locker, observer := pgtest.Connect(t, dsn), pgtest.Connect(t, dsn)
	ctx := context.Background()
	var phase atomic.Pointer[string]
	phase.Store(ptr("before"))
	const rate, hold = 100, 2200 * time.Millisecond // > 2 s: a whole timeline second falls inside
	epoch := time.Now()
	begin := time.Now()
	r := start(t, dsn, Workload{Name: "old", AppName: "rehearse/old", Rate: rate, Connections: 4, Queries: []Query{
		{Name: "count", SQL: "SELECT count(*) FROM t", Weight: 1},
	}}, WithEpoch(epoch), WithPhase(func() string { return *phase.Load() }))
	eventually(t, "baseline traffic", func() bool { return r.Stats().Completed >= 10 })

	tx, err := locker.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "LOCK TABLE t IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	phase.Store(ptr("hold"))
	eventually(t, "a workload query to wait on the lock", func() bool { return sessions(t, observer, "rehearse/old", true) > 0 })
	waitSeen := time.Now() // a query provably waits from here on
	<-time.After(hold)     // the experiment: how long the lock is held
	phase.Store(ptr("after"))
	released := time.Now()
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	d := released.Sub(waitSeen)
	eventually(t, "traffic after the lock", func() bool { return r.Snapshot().ByPhase["after"].Count >= 20 })
	ranBefore := time.Since(begin)
	w := stop(t, r, 20*time.Second)
	ranAfter := time.Since(begin)
	s := r.Stats()

	q := query(t, w, "count")
	if got := int64(q.MaxMS * 1000); got < d.Microseconds() {
		t.Errorf("max latency %v ms < lock held %v while a query waited", q.MaxMS, d)
	}
	if w.Dropped != 0 || s.Unsent != 0 || s.Cancelled != 0 || q.Errors != 0 || s.Completed != s.Scheduled {
		t.Errorf("requests lost: dropped %d, stats %+v", w.Dropped, s)
	}
	// Every request due while running was scheduled: none skipped by the
	// stall. (Nothing can be scheduled before it is due: the upper bound.)
	if float64(s.Scheduled) > rate*ranAfter.Seconds()+1 || float64(s.Scheduled) < 0.9*rate*ranBefore.Seconds()-5 {
		t.Errorf("scheduled %d requests in %v..%v at %d/s", s.Scheduled, ranBefore, ranAfter, rate)
	}
	// Requests scheduled during the hold ran late rather than not at all.
	if h := w.ByPhase["hold"]; float64(h.Count) < rate*d.Seconds()/2 || h.Errors != 0 {
		t.Errorf("hold phase %+v for a %v hold", h, d)
	}
	// The send lag (queueing) explains the latency, not the execution.
	if s.SendLag.MaxMS <= 0 {
		t.Errorf("send lag %+v", s.SendLag)
	}
	// No query can complete in a second that lies wholly inside the hold.
	for _, p := range w.Timeline {
		from := epoch.Add(time.Duration(p.TS) * time.Second)
		if !from.Before(waitSeen) && !from.Add(time.Second).After(released) && p.Count != 0 {
			t.Errorf("second %d inside the hold has %d completions", p.TS, p.Count)
		}
	}
}

func TestStopCancelsBlockedQueriesAndLeavesNoSession(t *testing.T) {
	dsn := newTable(t)
	locker, observer := pgtest.Connect(t, dsn), pgtest.Connect(t, dsn)
	ctx := context.Background()
	tx, err := locker.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "LOCK TABLE t IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	r := start(t, dsn, Workload{Name: "old", AppName: "rehearse/blocked", Rate: 50, Connections: 3, Queries: []Query{
		{Name: "get", SQL: "SELECT v FROM t WHERE id = $1", Weight: 1, Args: []ArgFunc{idArg}},
	}})
	eventually(t, "every connection to wait on the lock", func() bool { return sessions(t, observer, "rehearse/blocked", true) == 3 })

	began := time.Now()
	stopCtx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	w := r.Stop(stopCtx)
	t.Logf("Stop took %v with a 1 s ctx (ctx error after return: %v)", time.Since(began), stopCtx.Err())

	s := r.Stats()
	if s.Cancelled != 3 || s.Completed != 0 || s.Errors != 0 || s.Scheduled != s.Dropped+s.Unsent+s.Cancelled+s.Completed {
		t.Errorf("stats %+v", s)
	}
	if _, errs := total(w); errs != 0 {
		t.Errorf("cancellation counted as errors: %+v", w.Queries)
	}
	// The lock is still held: the sessions are gone because the server honoured
	// the cancel requests and the Terminate, not because the queries finished.
	eventually(t, "the blocked sessions to end", func() bool { return sessions(t, observer, "rehearse/blocked", false) == 0 })
	noLeak(t, before)
}

func TestWorkerReconnectsAfterItsSessionIsTerminated(t *testing.T) {
	dsn := newTable(t)
	admin := pgtest.Connect(t, dsn)
	ctx := context.Background()
	r := start(t, dsn, Workload{Name: "old", AppName: "rehearse/killed", Rate: 200, Connections: 2, Queries: []Query{
		{Name: "get", SQL: "SELECT v FROM t WHERE id = $1", Weight: 1, Args: []ArgFunc{idArg}},
	}})
	eventually(t, "traffic", func() bool { return r.Stats().Completed >= 10 })
	var killed int
	if err := admin.QueryRow(ctx, `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = 'rehearse/killed'`).Scan(&killed); err != nil || killed != 2 {
		t.Fatalf("terminated %d sessions: %v", killed, err)
	}
	eventually(t, "both workers to reconnect", func() bool { return r.Stats().Reconnects == 2 })
	base := r.Stats().Completed
	eventually(t, "traffic after reconnecting", func() bool { return r.Stats().Completed >= base+20 })
	if n := sessions(t, admin, "rehearse/killed", false); n != 2 {
		t.Errorf("%d sessions after reconnecting, want 2 with the application_name", n)
	}
	w := stop(t, r, 10*time.Second)
	s := r.Stats()
	q := query(t, w, "get")
	// Each broken connection fails exactly the request that found it broken.
	if q.Errors != 2 || s.ConnectFailures != 0 {
		t.Errorf("errors %d %v (first %q), stats %+v", q.Errors, q.ErrorsBySQLState, q.FirstError, s)
	}
	for code := range q.ErrorsBySQLState {
		if code != "57P01" && code != ClientErrorKey {
			t.Errorf("unexpected class %q", code)
		}
	}
}

func TestStartFailsWhenAConnectionFails(t *testing.T) {
	u, err := url.Parse(pgtest.NewDB(t))
	if err != nil {
		t.Fatal(err)
	}
	u.Path += "_missing"
	dsn := u.String()
	before := runtime.NumGoroutine()
	r, err := Start(context.Background(), dsn, Workload{Name: "old", Rate: 10, Connections: 2, Queries: []Query{{Name: "q", SQL: "SELECT 1", Weight: 1}}})
	if err == nil || r != nil || !strings.Contains(err.Error(), "open connections") {
		t.Fatalf("Start = %v, %v", r, err)
	}
	noLeak(t, before)
}

// lockTable holds an ACCESS EXCLUSIVE lock on t until the returned func (or
// the end of the test) releases it.
func lockTable(t *testing.T, dsn string) (release func()) {
	t.Helper()
	ctx := context.Background()
	tx, err := pgtest.Connect(t, dsn).Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE t IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	release = func() { _ = tx.Rollback(ctx) }
	t.Cleanup(release)
	return release
}

func TestFullQueueCountsDropsInsteadOfSlowingDown(t *testing.T) {
	dsn := newTable(t)
	release := lockTable(t, dsn)
	r := start(t, dsn, Workload{Name: "old", Rate: 200, Connections: 1, Queries: []Query{
		{Name: "get", SQL: "SELECT v FROM t WHERE id = $1", Weight: 1, Args: []ArgFunc{idArg}},
	}}, WithQueueLimit(5))
	// One request is blocked in flight, five wait in the queue, the rest drop.
	eventually(t, "drops", func() bool { return r.Stats().Dropped >= 10 })
	release()
	w := stop(t, r, 10*time.Second)
	s := r.Stats()
	if w.Dropped != s.Dropped || s.Completed < 6 || s.Errors != 0 ||
		s.Scheduled != s.Dropped+s.Unsent+s.Cancelled+s.Completed {
		t.Errorf("dropped %d, stats %+v", w.Dropped, s)
	}
}

func TestRuntimeParamsGiveServerSideTimeouts(t *testing.T) {
	dsn := newTable(t)
	release := lockTable(t, dsn)
	r := start(t, dsn, Workload{Name: "old", Rate: 100, Connections: 2, Queries: []Query{
		{Name: "get", SQL: "SELECT v FROM t WHERE id = $1", Weight: 1, Args: []ArgFunc{idArg}},
	}}, WithRuntimeParams(map[string]string{"lock_timeout": "20ms"}))
	eventually(t, "lock timeouts", func() bool { return r.Stats().Errors >= 5 })
	release()
	q := query(t, stop(t, r, 10*time.Second), "get")
	if q.ErrorsBySQLState["55P03"] != q.Errors || q.Errors < 5 || r.Stats().Reconnects != 0 {
		t.Errorf("query %+v, stats %+v", q, r.Stats())
	}
}
