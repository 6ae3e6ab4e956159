package lockmon

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/rehearse/rehearse/internal/dbconn"
	"github.com/rehearse/rehearse/internal/pglock"
	"github.com/rehearse/rehearse/result"
)

// DefaultInterval is how often the monitor samples while a session has
// waited for a lock for less than 20 intervals, then every twentieth of
// that wait's age, up to the idle interval (lockWaitInterval): it bounds
// how precisely a wait's end is known (its start is pg_locks.waitstart on
// PostgreSQL 14 and later).
const DefaultInterval = 10 * time.Millisecond

// DefaultIdleInterval is how often it samples while no session waits for a
// lock, in migration steps as in the baseline and cooldown: often enough to
// see a wait soon after it begins (its start comes from pg_locks.waitstart
// anyway), to time the migration's held locks to tens of milliseconds and
// to attribute a 100 ms stall from several samples. Every read of
// pg_stat_activity costs the server about 0.15-0.25 ms whatever the query
// (it copies every backend's status), so 100 samples a second would cost
// 3-5% of a core, 20 a second about 1% (docs/benchmarks.md).
const DefaultIdleInterval = 50 * time.Millisecond

// stopGrace is how long Stop lets a sample in progress finish.
const stopGrace = 2 * time.Second

// maxEvents bounds the events kept in a report; counts and maxima stay exact.
const maxEvents = 10000

// Classifier maps a waiting session's application_name and query text to a
// workload ("old", "new", "migration", ...) and a query name.
type Classifier func(app, query string) (workload, name string)

type options struct {
	interval time.Duration
	idle     time.Duration
	epoch    time.Time
	phase    func() string
	classify Classifier
}

// Option configures a Monitor.
type Option func(*options)

// WithInterval sets the sampling interval (default DefaultInterval).
func WithInterval(d time.Duration) Option { return func(o *options) { o.interval = d } }

// WithIdleInterval sets the interval used while no session waits for a lock
// (default DefaultIdleInterval; never shorter than the interval).
func WithIdleInterval(d time.Duration) Option { return func(o *options) { o.idle = d } }

// WithEpoch sets the time that event start_ms values are relative to.
func WithEpoch(t time.Time) Option { return func(o *options) { o.epoch = t } }

// WithPhase tells the monitor the current phase name, read at each sample.
func WithPhase(phase func() string) Option { return func(o *options) { o.phase = phase } }

// WithClassifier names the workload and query of a waiting session.
func WithClassifier(c Classifier) Option { return func(o *options) { o.classify = c } }

// Monitor samples lock state on its own connection until Stop.
type Monitor struct {
	conn   *pgx.Conn
	opts   options
	query  string
	offset time.Duration // server clock minus local clock
	// counterQuery reads the server's cumulative counters (counters.go).
	counterQuery string

	waits    *waitAgg
	counters phaseCounters
	// offsetErr bounds offset's error: half the round trip it was measured in.
	offsetErr time.Duration
	waitstart bool // the server has pg_locks.waitstart (PostgreSQL 14+)

	open   map[waitKey]*openWait
	events []result.LockEvent
	held   map[string]map[string]*heldLock // phase → relation → lock
	stats  sampleStats
	err    error

	cancel   context.CancelFunc
	stopping chan struct{} // closed by Stop: end after the sample in progress
	done     chan struct{}
	stopOnce sync.Once

	syncMu  sync.Mutex
	pending []chan struct{} // Sync callers waiting for the next sample to begin

	// oldestTrafficWait is the start (unix nanoseconds) of the oldest traffic
	// wait open at the last sample, 0 when none: read by OpenTrafficWait.
	oldestTrafficWait atomic.Int64
}

type waitKey struct {
	pid      int32
	locktype string
	relation string
	mode     string
	since    time.Time // waitstart, or query_start where the server has no waitstart
}

type openWait struct {
	event      result.LockEvent
	start      time.Time
	lastSeen   time.Time
	linkStarts []time.Time // wait start of each chain link; zero for the head
}

func (w *openWait) addLink(link result.ChainLink, waitStart time.Time) {
	w.event.Chain = append(w.event.Chain, link)
	w.linkStarts = append(w.linkStarts, waitStart)
}

type heldLock struct {
	mode        string
	first, last time.Time
}

type sampleStats struct {
	count      int64
	total, max time.Duration
	// last is when the previous sample ended (at first, when sampling
	// began); maxGap the longest time from one sample's end to the next's.
	last   time.Time
	maxGap time.Duration
}

// Start connects and begins sampling. The connection's application_name is
// rehearse/monitor.
func Start(ctx context.Context, dsn string, opts ...Option) (*Monitor, error) {
	o := options{interval: DefaultInterval, idle: DefaultIdleInterval, epoch: time.Now(),
		phase: func() string { return "" }, classify: func(app, q string) (string, string) { return app, q }}
	for _, opt := range opts {
		opt(&o)
	}
	o.idle = max(o.idle, o.interval)
	conn, err := dbconn.Connect(ctx, dsn, dbconn.Monitor)
	if err != nil {
		return nil, fmt.Errorf("lock monitor: %w", err)
	}
	m := &Monitor{conn: conn, opts: o, open: map[waitKey]*openWait{}, held: map[string]map[string]*heldLock{}, done: make(chan struct{}),
		stopping: make(chan struct{}), waits: newWaitAgg()}
	if err := m.prepare(ctx); err != nil {
		conn.Close(ctx)
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	m.stats.last = time.Now()
	go m.loop(runCtx)
	return m, nil
}

// prepare picks the sampling query for the server version (pg_locks.waitstart
// exists from PostgreSQL 14) and measures the server's clock offset.
func (m *Monitor) prepare(ctx context.Context) error {
	var versionNum int
	var serverNow time.Time
	before := time.Now()
	err := m.conn.QueryRow(ctx, "SELECT current_setting('server_version_num')::int, clock_timestamp()").Scan(&versionNum, &serverNow)
	after := time.Now()
	if err != nil {
		return fmt.Errorf("lock monitor: read server version: %w", err)
	}
	m.offset = serverNow.Sub(before.Add(after.Sub(before) / 2))
	m.offsetErr = after.Sub(before) / 2
	m.waitstart = versionNum >= 140000
	waitstart := "NULL::timestamptz"
	if m.waitstart {
		waitstart = "l.waitstart"
	}
	m.query = fmt.Sprintf(sampleSQL, waitstart)
	m.counterQuery = counterSQL(versionNum)
	return nil
}

// sampleSQL returns waiting locks of every session in this database, and the
// granted locks of the migration session on user relations: OIDs from 16384
// (FirstNormalObjectId) leave out the system catalogs; TOAST tables are
// locked with their table, and relations that no longer exist were transient.
const sampleSQL = `
SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.query, ''), l.locktype,
       coalesce(l.relation::regclass::text, ''), l.mode, l.granted, %s, a.query_start,
       CASE WHEN l.granted THEN '{}'::int[] ELSE pg_blocking_pids(a.pid) END
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
LEFT JOIN pg_class c ON c.oid = l.relation
LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE a.pid <> pg_backend_pid()
  AND (l.database IS NULL OR l.database = (SELECT oid FROM pg_database WHERE datname = current_database()))
  AND (NOT l.granted OR (a.application_name = $1 AND l.locktype = 'relation' AND l.relation >= 16384
                         AND c.oid IS NOT NULL AND n.nspname <> 'pg_toast'))`

type lockRow struct {
	pid       int32
	app       string
	query     string
	locktype  string
	relation  string
	mode      string
	granted   bool
	waitstart pgtype.Timestamptz
	queryAt   pgtype.Timestamptz
	blockers  []int32
}

func (m *Monitor) loop(ctx context.Context) {
	defer close(m.done)
	next := time.Now()
	for {
		interval, err := m.sample(ctx)
		if err != nil {
			if ctx.Err() == nil {
				m.err = fmt.Errorf("lock monitor: %w", err)
			}
			return
		}
		// Pace from the clock so a slow sample does not shift later ones;
		// after a stall, start afresh rather than catch up in a burst.
		next = next.Add(interval)
		wait := time.Until(next)
		if wait < 0 {
			next, wait = time.Now(), 0
		}
		select {
		case <-ctx.Done():
			return
		case <-m.stopping:
			return
		case <-time.After(wait):
		}
	}
}

// sample takes one sample and says when the next is due: soon while a
// session waits for a lock (lockWaitInterval), else at the idle interval.
func (m *Monitor) sample(ctx context.Context) (next time.Duration, err error) {
	m.syncMu.Lock()
	waiters := m.pending
	m.pending = nil
	m.syncMu.Unlock()
	defer func() {
		for _, w := range waiters {
			close(w)
		}
	}()
	phase := m.opts.phase()
	m.markPhase(ctx, phase)
	began := time.Now()
	acts, err := m.readActivity(ctx)
	if err != nil {
		return 0, err
	}
	lockWait, migration := lockState(acts, dbconn.Migration)
	var rows []lockRow
	switch {
	case lockWait:
		rows, err = m.readLocks(ctx)
	case len(migration) > 0:
		rows, err = m.readHeld(ctx, migration)
	}
	if err != nil {
		return 0, err
	}
	blockers, err := m.readBlockers(ctx, rows)
	if err != nil {
		return 0, err
	}
	now := time.Now()
	m.stats.add(began, now)
	m.record(rows, blockers, now)
	m.waits.add(acts, phase, m.opts.classify, now, m.opts.epoch)
	if lockWait {
		return m.lockWaitInterval(rows, now), nil
	}
	return m.opts.idle, nil
}

// lockWaitInterval is the gap to the next sample while sessions wait for a
// lock: the interval until the youngest wait is 20 intervals old, then a
// twentieth of its age, up to the idle interval. A wait's start is
// pg_locks.waitstart and its end is known to half a gap, so every wait
// stays timed to within 2.5% of its length (and to 5 ms while short),
// while a wait of seconds costs samples at the idle rate, not 100 a second.
// Without waitstart (PostgreSQL 13 and older) it keeps the interval.
func (m *Monitor) lockWaitInterval(rows []lockRow, now time.Time) time.Duration {
	youngest := time.Duration(-1)
	for _, r := range rows {
		if r.granted {
			continue
		}
		if !r.waitstart.Valid {
			return m.opts.interval
		}
		if age := now.Sub(r.waitstart.Time.Add(-m.offset)); youngest < 0 || age < youngest {
			youngest = age
		}
	}
	if youngest < 0 {
		return m.opts.interval
	}
	return min(max(youngest/result.WaitIntervalsPerAge, m.opts.interval), m.opts.idle)
}

// readActivity reads the backends' wait events (waits.go).
func (m *Monitor) readActivity(ctx context.Context) ([]activityRow, error) {
	rows, err := m.conn.Query(ctx, activitySQL, dbconn.Monitor)
	if err != nil {
		return nil, err
	}
	return scanActivity(rows)
}

// readLocks reads the lock rows. The sample does so only when a session
// waits for a lock or the migration runs: pg_locks takes every lock-manager
// partition lock, and otherwise has no news.
func (m *Monitor) readLocks(ctx context.Context) ([]lockRow, error) {
	rows, err := m.conn.Query(ctx, m.query, dbconn.Migration)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (lockRow, error) {
		var l lockRow
		err := r.Scan(&l.pid, &l.app, &l.query, &l.locktype, &l.relation, &l.mode, &l.granted, &l.waitstart, &l.queryAt, &l.blockers)
		return l, err
	})
}

// heldSQL returns the granted locks of the given backends on user
// relations, as sampleSQL does for the migration session: what a sample
// needs while the migration runs and nothing waits. It costs the server
// about a third of sampleSQL, which also reads every session's activity
// and, for waiters, their blockers.
const heldSQL = `
SELECT l.pid, coalesce(l.relation::regclass::text, ''), l.mode
FROM pg_locks l JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE l.pid = ANY($1) AND l.granted AND l.locktype = 'relation' AND l.relation >= 16384
  AND n.nspname <> 'pg_toast'`

// readHeld reads the granted relation locks of the migration's backends.
func (m *Monitor) readHeld(ctx context.Context, pids []int32) ([]lockRow, error) {
	rows, err := m.conn.Query(ctx, heldSQL, pids)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (lockRow, error) {
		l := lockRow{app: dbconn.Migration, locktype: "relation", granted: true}
		err := r.Scan(&l.pid, &l.relation, &l.mode)
		return l, err
	})
}

// session is a blocking backend: what it runs and the locks it holds.
type session struct {
	app, query string
	held       map[string]string // relation (or locktype) → strongest granted mode
}

// readBlockers fetches application_name, query and granted locks of every
// blocking session.
func (m *Monitor) readBlockers(ctx context.Context, rows []lockRow) (map[int32]*session, error) {
	var pids []int32
	for _, r := range rows {
		pids = append(pids, r.blockers...)
	}
	sessions := map[int32]*session{}
	if len(pids) == 0 {
		return sessions, nil
	}
	res, err := m.conn.Query(ctx, `SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.query, ''),
       coalesce(l.relation::regclass::text, l.locktype, ''), coalesce(l.mode, '')
FROM pg_stat_activity a LEFT JOIN pg_locks l ON l.pid = a.pid AND l.granted
WHERE a.pid = ANY($1)`, pids)
	if err != nil {
		return nil, err
	}
	var pid int32
	var app, query, relation, mode string
	_, err = pgx.ForEachRow(res, []any{&pid, &app, &query, &relation, &mode}, func() error {
		s := sessions[pid]
		if s == nil {
			if stmt, ok := dbconn.TracedStatement(query); ok && stmt != "" {
				query = stmt
			}
			s = &session{app: app, query: query, held: map[string]string{}}
			sessions[pid] = s
		}
		if pglock.Stronger(mode, s.held[relation]) {
			s.held[relation] = mode
		}
		return nil
	})
	return sessions, err
}

func (m *Monitor) record(rows []lockRow, blockers map[int32]*session, now time.Time) {
	phase := m.opts.phase()
	waiting := map[int32]lockRow{}
	for _, r := range rows {
		if !r.granted {
			waiting[r.pid] = r
		}
	}
	seen := map[waitKey]bool{}
	for _, r := range rows {
		if r.granted {
			m.recordHeld(phase, r, now)
			continue
		}
		key := m.keyOf(r)
		seen[key] = true
		if w, ok := m.open[key]; ok {
			w.lastSeen = now
			continue
		}
		m.open[key] = m.newWait(r, key, waiting, blockers, phase, now)
	}
	var oldest int64
	for key, w := range m.open {
		if !seen[key] {
			m.close(key, w, w.lastSeen.Add(now.Sub(w.lastSeen)/2))
			continue
		}
		if start := w.start.UnixNano(); result.IsTraffic(w.event.Workload) && (oldest == 0 || start < oldest) {
			oldest = start
		}
	}
	m.oldestTrafficWait.Store(oldest)
}

// OpenTrafficWait is how long the longest lock wait of a traffic query that
// was still going on at the last sample has lasted so far; 0 when none.
// Safe for concurrent use.
func (m *Monitor) OpenTrafficWait() time.Duration {
	oldest := m.oldestTrafficWait.Load()
	if oldest == 0 {
		return 0
	}
	return time.Since(time.Unix(0, oldest))
}

func (m *Monitor) keyOf(r lockRow) waitKey {
	since := r.queryAt.Time
	if r.waitstart.Valid {
		since = r.waitstart.Time
	}
	return waitKey{pid: r.pid, locktype: r.locktype, relation: r.relation, mode: r.mode, since: since}
}

func (m *Monitor) newWait(r lockRow, key waitKey, waiting map[int32]lockRow, blockers map[int32]*session, phase string, now time.Time) *openWait {
	start := m.waitStart(r, now)
	workload, name := m.opts.classify(r.app, r.query)
	relation := relationOf(r)
	w := &openWait{start: start, lastSeen: now, event: result.LockEvent{Workload: workload, Query: name,
		Relation: relation, Mode: r.mode, Phase: phase, StartMS: start.Sub(m.opts.epoch).Milliseconds()}}
	w.addLink(m.link(r.app, r.query, r.mode, true), start)
	for _, pid := range chainOf(r.pid, waiting) {
		if link, ok := waiting[pid]; ok {
			w.addLink(m.link(link.app, link.query, link.mode, true), m.waitStart(link, now))
			continue
		}
		head := blockers[pid]
		if head == nil {
			head = &session{}
		}
		w.addLink(m.link(head.app, head.query, head.held[relation], false), time.Time{})
		w.event.BlockedBy, w.event.BlockedByApp, w.event.BlockedByMode = truncate(head.query, 300), head.app, head.held[relation]
	}
	w.event.Depth = len(w.event.Chain) - 1
	return w
}

// waitStart is when a wait began: pg_locks.waitstart where the server has
// it, else within the interval before the sample that first saw it.
func (m *Monitor) waitStart(r lockRow, now time.Time) time.Time {
	if r.waitstart.Valid {
		return r.waitstart.Time.Add(-m.offset)
	}
	return now.Add(-m.opts.interval / 2)
}

func (m *Monitor) link(app, query, mode string, isWaiting bool) result.ChainLink {
	workload, name := m.opts.classify(app, query)
	return result.ChainLink{Workload: workload, Query: name, Mode: mode, Waiting: isWaiting}
}

func relationOf(r lockRow) string {
	if r.relation == "" {
		return r.locktype
	}
	return r.relation
}

// chainOf follows the first blocker of each waiting session from pid until
// it reaches one that is not itself waiting, the head of the chain; it
// returns the sessions after pid, the head last.
func chainOf(pid int32, waiting map[int32]lockRow) []int32 {
	var chain []int32
	visited := map[int32]bool{pid: true}
	for cur := pid; ; {
		blockers := waiting[cur].blockers
		if len(blockers) == 0 || visited[blockers[0]] {
			return chain
		}
		cur = blockers[0]
		visited[cur] = true
		chain = append(chain, cur)
		if _, isWaiting := waiting[cur]; !isWaiting {
			return chain
		}
	}
}

func (m *Monitor) close(key waitKey, w *openWait, end time.Time) {
	delete(m.open, key)
	w.event.WaitMS = ms(end.Sub(w.start))
	for i, since := range w.linkStarts {
		if !since.IsZero() {
			w.event.Chain[i].WaitedMS = ms(end.Sub(since))
		}
	}
	m.events = append(m.events, w.event)
}

func (m *Monitor) recordHeld(phase string, r lockRow, now time.Time) {
	byRel := m.held[phase]
	if byRel == nil {
		byRel = map[string]*heldLock{}
		m.held[phase] = byRel
	}
	h := byRel[r.relation]
	if h == nil {
		byRel[r.relation] = &heldLock{mode: r.mode, first: now, last: now}
		return
	}
	if pglock.Stronger(r.mode, h.mode) {
		h.mode = r.mode
	}
	h.last = now
}

func (s *sampleStats) add(began, ended time.Time) {
	d := ended.Sub(began)
	s.count++
	s.total += d
	s.max = max(s.max, d)
	s.maxGap = max(s.maxGap, ended.Sub(s.last))
	s.last = ended
}

// precision bounds the error of a measured wait, from what sampling took.
// A wait's end lies between the snapshot of the last sample that saw it
// (after that sample began) and the end of the first that did not; the
// midpoint of the two samples' ends is off by at most half their gap plus
// a sample's duration. Its start is pg_locks.waitstart, off by the clock
// offset's error, or without waitstart, a guess within the gap before the
// first sample that saw it.
func (m *Monitor) precision() time.Duration {
	end := m.stats.maxGap/2 + m.stats.max
	if m.waitstart {
		return end + m.offsetErr
	}
	return end + max(m.stats.maxGap+m.stats.max, m.opts.interval/2)
}

// Done is closed when sampling ends: after Stop, or when sampling failed
// (Err then says why, for example that the server is gone).
func (m *Monitor) Done() <-chan struct{} { return m.done }

// Err is why sampling stopped early; nil while running and after a normal Stop.
// Read it after Done is closed.
func (m *Monitor) Err() error {
	select {
	case <-m.done:
		return m.err
	default:
		return nil
	}
}

// Sync returns once a sample that began after the call has been recorded, so
// that a caller knows the monitor has seen the state it just produced.
func (m *Monitor) Sync(ctx context.Context) error {
	ch := make(chan struct{})
	m.syncMu.Lock()
	m.pending = append(m.pending, ch)
	m.syncMu.Unlock()
	select {
	case <-ch:
		return nil
	case <-m.done:
		return errors.New("lock monitor stopped")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Report is what the monitor saw between Start and Stop.
type Report struct {
	// Waits holds every wait event; Count, TotalMS and MaxMS are over the
	// traffic workloads ("old" and "new") only.
	Waits result.LockWaits
	// Held lists, per phase, the strongest lock the migration session was
	// seen holding on each relation, with the time between first and last sighting.
	Held map[string][]result.StepLock
	// Err is set when sampling stopped early (for example the server died).
	Err error
	// WaitEvents aggregates the backends' wait events by phase and second;
	// Samples keeps them at sampling resolution, for attributing stalls.
	WaitEvents *result.WaitEvents
	Samples    *WaitSamples
	// Counters are the server's counters per phase.
	Counters []result.ServerCounters
	// Precision bounds how far a measured wait (a closed one: not one
	// still open at Stop) can be from the true one, from the sample gaps
	// and durations seen: on a loaded machine it can be many intervals.
	Precision time.Duration
}

// Stop ends sampling, closes the connection and returns the report. Waits
// still open are closed at the time of Stop.
func (m *Monitor) Stop(ctx context.Context) Report {
	m.stopOnce.Do(func() {
		// Let the sample in progress finish, so that the connection stays
		// usable for the final counter reading; cancel one that hangs.
		close(m.stopping)
		select {
		case <-m.done:
		case <-time.After(stopGrace):
			m.cancel()
			<-m.done
		}
		m.cancel()
		if m.err == nil {
			m.endCounters(ctx)
		}
		m.conn.Close(ctx)
		now := time.Now()
		for key, w := range m.open {
			m.close(key, w, now)
		}
	})
	return m.report()
}

func (m *Monitor) report() Report {
	sort.SliceStable(m.events, func(i, j int) bool { return m.events[i].StartMS < m.events[j].StartMS })
	waits := summarise(m.events)
	waits.Monitor = &result.MonitorStats{IntervalMS: ms(m.opts.interval), IdleIntervalMS: ms(m.opts.idle), Samples: m.stats.count, MaxSampleMS: ms(m.stats.max)}
	if m.stats.count > 0 {
		waits.Monitor.MeanSampleMS = ms(m.stats.total / time.Duration(m.stats.count))
	}
	held := map[string][]result.StepLock{}
	for phase, byRel := range m.held {
		for rel, h := range byRel {
			held[phase] = append(held[phase], result.StepLock{Relation: rel, Mode: h.mode, HeldMS: ms(h.last.Sub(h.first))})
		}
		sort.Slice(held[phase], func(i, j int) bool { return held[phase][i].Relation < held[phase][j].Relation })
	}
	return Report{Waits: waits, Held: held, Err: m.err, WaitEvents: m.waits.report(), Samples: &m.waits.samples,
		Counters: m.counters.report(), Precision: m.precision()}
}

func summarise(events []result.LockEvent) result.LockWaits {
	var w result.LockWaits
	for _, e := range events {
		if !result.IsTraffic(e.Workload) {
			continue
		}
		w.Count++
		w.TotalMS += e.WaitMS
		w.MaxMS = max(w.MaxMS, e.WaitMS)
	}
	w.Events = events
	if len(events) > maxEvents {
		w.Events = longest(events, maxEvents)
		w.EventsOmitted = len(events) - maxEvents
	}
	if w.Events == nil {
		w.Events = []result.LockEvent{}
	}
	return w
}

// longest keeps the n longest waits, in start order.
func longest(events []result.LockEvent, n int) []result.LockEvent {
	kept := append([]result.LockEvent(nil), events...)
	sort.SliceStable(kept, func(i, j int) bool { return kept[i].WaitMS > kept[j].WaitMS })
	kept = kept[:n]
	sort.SliceStable(kept, func(i, j int) bool { return kept[i].StartMS < kept[j].StartMS })
	return kept
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut at a character boundary: a query's text is UTF-8, and half a
	// character would make the JSON report invalid.
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
