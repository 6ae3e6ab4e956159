// Package replication samples, on the primary, how far streaming standbys
// are behind and how much WAL the primary writes, for the result's
// replication section: a lag timeline beside the latency timeline, the
// largest lag, and the WAL written per phase.
package replication

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/internal/dbconn"
	"github.com/rehearse/rehearse/result"
)

// DefaultInterval is how often the sampler reads pg_stat_replication.
const DefaultInterval = 250 * time.Millisecond

// queryTimeout bounds one sample. Samples do not take the caller's
// cancellation: pgx closes the connection of a cancelled query, and Stop
// still needs it for the last sample after Ctrl-C.
const queryTimeout = 5 * time.Second

// sampleSQL reads the primary's WAL position and, over every standby, the
// most bytes and the longest replay_lag behind it. replay_lsn is NULL
// until a standby has replayed anything, replay_lag once it has caught up.
const sampleSQL = `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint,
	(SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming')::int,
	coalesce((SELECT max(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)) FROM pg_stat_replication), 0)::bigint,
	coalesce((SELECT extract(epoch FROM max(replay_lag)) * 1000 FROM pg_stat_replication), 0)::float8`

type options struct {
	interval time.Duration
	epoch    time.Time
}

// Option configures a Sampler.
type Option func(*options)

// WithInterval sets the sampling interval (default DefaultInterval).
func WithInterval(d time.Duration) Option { return func(o *options) { o.interval = d } }

// WithEpoch sets the time the timeline counts seconds from (default: when
// Start is called); give it the start of the baseline so that the lag
// timeline lines up with the latency timeline.
func WithEpoch(t time.Time) Option { return func(o *options) { o.epoch = t } }

// Sampler samples replication on its own connection to the primary until
// Stop. Mark, Lag, LagBytes and Stop are safe for concurrent use.
type Sampler struct {
	opts     options
	quit     chan struct{} // closed by Stop
	stopOnce sync.Once
	done     chan struct{} // closed when the loop has returned

	lagNS    atomic.Int64 // replay lag of the last sample, for throttles
	lagBytes atomic.Int64

	mu   sync.Mutex // guards conn and everything below
	conn *pgx.Conn
	rep  result.Replication
	// startLSN is the WAL position at Start, phaseLSN where the current
	// phase began, lastLSN the latest read; byte offsets from 0/0.
	startLSN, phaseLSN, lastLSN int64
	phase                       string
	second                      int64 // the timeline's current second (TS)
	secondLSN                   int64 // WAL position at the start of that second
	stopped                     bool
	// history holds the recent samples' WAL positions, from the last one the
	// standby furthest behind had replayed on: see stalledFor.
	history []walAt
}

// walAt is the primary's WAL position at a sample.
type walAt struct {
	t   time.Time
	lsn int64
}

// Start connects to the primary at dsn, reads the WAL position and samples
// every interval until Stop. Call Mark as each phase begins.
func Start(ctx context.Context, dsn string, opts ...Option) (*Sampler, error) {
	o := options{interval: DefaultInterval}
	for _, opt := range opts {
		opt(&o)
	}
	if o.epoch.IsZero() {
		o.epoch = time.Now()
	}
	if o.interval <= 0 {
		return nil, fmt.Errorf("replication sampler: interval must be > 0, got %s", o.interval)
	}
	conn, err := dbconn.Connect(ctx, dsn, dbconn.Replication)
	if err != nil {
		return nil, fmt.Errorf("replication sampler: %w", err)
	}
	s := &Sampler{opts: o, conn: conn, quit: make(chan struct{}), done: make(chan struct{}),
		rep: result.Replication{IntervalMS: float64(o.interval) / float64(time.Millisecond),
			WALBytesByPhase: map[string]int64{}, Timeline: []result.LagPoint{}}}
	s.second = -1
	if err := s.sample(ctx, time.Now()); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	s.startLSN, s.phaseLSN = s.lastLSN, s.lastLSN
	go s.loop(context.WithoutCancel(ctx))
	return s, nil
}

// loop samples every interval until Stop, or until a sample fails (the
// connection is gone: later samples would fail too).
func (s *Sampler) loop(ctx context.Context) {
	defer close(s.done)
	t := time.NewTicker(s.opts.interval)
	defer t.Stop()
	for {
		select {
		case <-s.quit:
			return
		case now := <-t.C:
			if err := s.sample(ctx, now); err != nil {
				s.fail(err)
				return
			}
		}
	}
}

// Mark ends the current phase at the primary's WAL position now and starts
// phase (baseline, a step's name, cooldown), so that WALBytesByPhase splits
// at the phase boundaries exactly rather than at the nearest sample. A
// failure is kept for the result, not returned: a lost sampler must not
// stop the rehearsal.
func (s *Sampler) Mark(ctx context.Context, phase string) {
	if err := s.sample(ctx, time.Now()); err != nil {
		s.fail(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closePhase()
	s.phase = phase
}

// closePhase adds the WAL written since the phase began to its total.
func (s *Sampler) closePhase() {
	if s.phase != "" {
		s.rep.WALBytesByPhase[s.phase] += s.lastLSN - s.phaseLSN
	}
	s.phaseLSN = s.lastLSN
}

// Lag is the standby's replay lag at the last sample (the largest, with
// several standbys): what a throttled batch step waits on.
func (s *Sampler) Lag() time.Duration { return time.Duration(s.lagNS.Load()) }

// LagBytes is how many bytes of WAL the standby furthest behind had still
// to replay at the last sample.
func (s *Sampler) LagBytes() int64 { return s.lagBytes.Load() }

// sample reads the positions once and folds them into the figures.
func (s *Sampler) sample(ctx context.Context, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped || s.rep.Error != "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), queryTimeout)
	defer cancel()
	var lsn, lagBytes int64
	var standbys int
	var lagMS float64
	if err := s.conn.QueryRow(ctx, sampleSQL).Scan(&lsn, &standbys, &lagBytes, &lagMS); err != nil {
		return fmt.Errorf("replication sampler: %w", err)
	}
	lagMS = max(lagMS, s.stalledFor(now, lsn, lagBytes))
	s.lagNS.Store(int64(lagMS * float64(time.Millisecond)))
	s.lagBytes.Store(lagBytes)
	s.record(now, lsn, standbys, lagBytes, lagMS)
	return nil
}

// stalledFor estimates, in milliseconds, how long ago the oldest WAL the
// standby has not replayed was written: now minus the first sample at which
// the primary's position was past the standby's replay position (lsn −
// lagBytes). pg_stat_replication's replay_lag is only measured when replay
// reaches a position, so while replay is stalled it stands still; this
// grows. It errs low by up to one interval.
func (s *Sampler) stalledFor(now time.Time, lsn, lagBytes int64) float64 {
	s.history = append(s.history, walAt{t: now, lsn: lsn})
	if lagBytes <= 0 {
		s.history = s.history[len(s.history)-1:]
		return 0
	}
	replayed := lsn - lagBytes
	// Drop what the standby has replayed past, keeping the last such
	// sample: the next one is where the unreplayed WAL begins.
	i := 0
	for i+1 < len(s.history) && s.history[i+1].lsn <= replayed {
		i++
	}
	s.history = s.history[i:]
	for _, h := range s.history {
		if h.lsn > replayed {
			return float64(now.Sub(h.t)) / float64(time.Millisecond)
		}
	}
	return 0
}

func (s *Sampler) record(now time.Time, lsn int64, standbys int, lagBytes int64, lagMS float64) {
	r := &s.rep
	r.Samples++
	r.Standbys = max(r.Standbys, standbys)
	r.MaxLagBytes = max(r.MaxLagBytes, lagBytes)
	if lagMS > r.MaxReplayLagMS {
		r.MaxReplayLagMS, r.MaxReplayLagPhase = lagMS, s.phase
	}
	sec := int64(max(now.Sub(s.opts.epoch), 0) / time.Second)
	if sec != s.second || len(r.Timeline) == 0 {
		if len(r.Timeline) > 0 {
			s.secondLSN = s.lastLSN
		} else {
			s.secondLSN = lsn
		}
		r.Timeline = append(r.Timeline, result.LagPoint{TS: sec})
		s.second = sec
	}
	pt := &r.Timeline[len(r.Timeline)-1]
	pt.LagBytes = max(pt.LagBytes, lagBytes)
	pt.ReplayLagMS = max(pt.ReplayLagMS, lagMS)
	pt.WALBytes = lsn - s.secondLSN
	s.lastLSN = lsn
}

func (s *Sampler) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rep.Error == "" {
		s.rep.Error = err.Error()
	}
}

// Stop ends sampling with a last sample, closes the current phase and the
// connection, and returns the figures. Later calls return the same figures.
func (s *Sampler) Stop(ctx context.Context) *result.Replication {
	s.stopOnce.Do(func() { close(s.quit) })
	<-s.done
	if err := s.sample(ctx, time.Now()); err != nil {
		s.fail(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.stopped {
		s.stopped = true
		s.closePhase()
		s.rep.WALBytes = s.lastLSN - s.startLSN
		s.conn.Close(ctx)
	}
	rep := s.rep
	rep.Timeline = append([]result.LagPoint(nil), s.rep.Timeline...)
	rep.WALBytesByPhase = make(map[string]int64, len(s.rep.WALBytesByPhase))
	for k, v := range s.rep.WALBytesByPhase {
		rep.WALBytesByPhase[k] = v
	}
	return &rep
}
