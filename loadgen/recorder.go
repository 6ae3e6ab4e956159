package loadgen

import (
	"errors"
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rehearse/rehearse/result"
)

// Histogram ranges, in microseconds. Values outside are clamped rather than
// lost: a 2-hour stall still counts, as the 1-hour maximum.
const (
	minMicros = 1
	maxMicros = int64(time.Hour / time.Microsecond)
	// sigFigs keeps p99 comparable across phases; windowSigFigs keeps the
	// per-second windows small (~26 KB) so memory stays flat.
	sigFigs       = 3
	windowSigFigs = 2
)

func newHist() *hdr.Histogram       { return hdr.New(minMicros, maxMicros, sigFigs) }
func newWindowHist() *hdr.Histogram { return hdr.New(minMicros, maxMicros, windowSigFigs) }

// micros converts d to whole microseconds within the histogram range.
func micros(d time.Duration) int64 {
	return min(max(d.Microseconds(), minMicros), maxMicros)
}

// ms converts a histogram value (µs) to the milliseconds of the results.
func ms(us int64) float64 { return float64(us) / 1000 }

// outcome is one executed request, as the recorder sees it.
type outcome struct {
	query int
	phase string
	due   time.Time // scheduled send time: latency starts here
	sent  time.Time // actual send time: service time starts here
	done  time.Time
	err   error
	// conn is the serial of the connection the request ran on; 0 when it
	// failed before reaching one (arguments, reconnection).
	conn int64
	// stmts are the outcomes of a transaction's statements that ran.
	stmts []stmtOutcome
}

// stmtOutcome is one executed statement of a transaction.
type stmtOutcome struct {
	sent, done time.Time
	err        error
}

// recorder holds every histogram of one workload. One mutex guards it all:
// hdrhistogram-go has no locking, and at rehearsal rates (thousands of
// requests a second) one short critical section per request is cheap.
type recorder struct {
	mu       sync.Mutex
	epoch    time.Time
	queries  []*queryRec
	win      window
	timeline []result.TimelinePt
	lag      *hdr.Histogram // send − due of all executed requests: queueing and scheduler lateness
	lagPhase map[string]*hdr.Histogram
	// conns holds, per SQLSTATE, the connections that saw it.
	conns map[string]map[int64]bool
	// self, when set, is told of every completion (selfcheck.go).
	self *selfCheck
}

type queryRec struct {
	name       string
	count      int64 // executions, successful or not
	errors     int64
	bySQLState map[string]int64
	firstErr   string
	latency    *hdr.Histogram // due → done, successful executions
	service    *hdr.Histogram // sent → done, successful executions
	phases     map[string]*phaseRec
	conns      map[string]map[int64]bool // SQLSTATE → connections that saw it
	stmts      []*stmtRec                // a transaction's statements
}

// stmtRec records one statement of a transaction.
type stmtRec struct {
	name          string
	count, errors int64
	bySQLState    map[string]int64
	service       *hdr.Histogram // sent → done, successful executions
}

type phaseRec struct {
	count, errors int64
	latency       *hdr.Histogram
}

func newRecorder(queries []Query, epoch, start time.Time) *recorder {
	r := &recorder{epoch: epoch, lag: newHist(), lagPhase: map[string]*hdr.Histogram{}, conns: map[string]map[int64]bool{}}
	for _, q := range queries {
		qr := &queryRec{
			name:       q.Name,
			bySQLState: map[string]int64{},
			latency:    newHist(),
			service:    newHist(),
			phases:     map[string]*phaseRec{},
			conns:      map[string]map[int64]bool{},
		}
		for _, st := range q.Statements {
			qr.stmts = append(qr.stmts, &stmtRec{name: st.Name, bySQLState: map[string]int64{}, service: newHist()})
		}
		r.queries = append(r.queries, qr)
	}
	r.win = window{sec: r.second(start), hist: newWindowHist()}
	return r
}

// second is the timeline slot of t: whole seconds since the epoch, floored.
func (r *recorder) second(t time.Time) int64 {
	d := t.Sub(r.epoch)
	s := int64(d / time.Second)
	if d < 0 && d%time.Second != 0 {
		s--
	}
	return s
}

// record adds one executed request.
func (r *recorder) record(o outcome) {
	lat, svc, lag := micros(o.done.Sub(o.due)), micros(o.done.Sub(o.sent)), micros(o.sent.Sub(o.due))
	if r.self != nil {
		r.self.completed(r.queries[o.query].name, o.phase, o.due, o.done, o.err == nil)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	q := r.queries[o.query]
	p := q.phase(o.phase)
	r.advance(r.second(o.done))
	q.count++
	p.count++
	r.win.count++
	r.lag.RecordValue(lag)
	r.phaseLag(o.phase).RecordValue(lag)
	for i, so := range o.stmts {
		if i < len(q.stmts) {
			q.stmts[i].record(so)
		}
	}
	if o.err != nil {
		code := q.fail(o.err)
		if o.conn != 0 {
			markConn(q.conns, code, o.conn)
			markConn(r.conns, code, o.conn)
		}
		p.errors++
		r.win.errors++
		return
	}
	q.latency.RecordValue(lat)
	q.service.RecordValue(svc)
	p.latency.RecordValue(lat)
	r.win.hist.RecordValue(lat)
}

func (q *queryRec) phase(name string) *phaseRec {
	p := q.phases[name]
	if p == nil {
		p = &phaseRec{latency: newHist()}
		q.phases[name] = p
	}
	return p
}

// fail counts a failed execution and returns its SQLSTATE.
func (q *queryRec) fail(err error) string {
	code := sqlState(err)
	q.errors++
	q.bySQLState[code]++
	if q.firstErr == "" {
		q.firstErr = err.Error()
	}
	return code
}

func (s *stmtRec) record(o stmtOutcome) {
	s.count++
	if o.err != nil {
		s.errors++
		s.bySQLState[sqlState(o.err)]++
		return
	}
	s.service.RecordValue(micros(o.done.Sub(o.sent)))
}

// phaseLag is the pool-wait histogram of a phase. Caller holds r.mu.
func (r *recorder) phaseLag(phase string) *hdr.Histogram {
	h := r.lagPhase[phase]
	if h == nil {
		h = newHist()
		r.lagPhase[phase] = h
	}
	return h
}

// markConn adds conn to the connections that saw code.
func markConn(conns map[string]map[int64]bool, code string, conn int64) {
	set := conns[code]
	if set == nil {
		set = map[int64]bool{}
		conns[code] = set
	}
	set[conn] = true
}

// connCounts is the number of connections per SQLSTATE; nil when none.
func connCounts(conns map[string]map[int64]bool) map[string]int64 {
	if len(conns) == 0 {
		return nil
	}
	out := make(map[string]int64, len(conns))
	for code, set := range conns {
		out[code] = int64(len(set))
	}
	return out
}

// sqlState is the SQLSTATE of a server error, or ClientErrorKey.
func sqlState(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code != "" {
		return pgErr.Code
	}
	return ClientErrorKey
}

// advance closes windows until sec is the current one. Workers record in
// nearly completion order; a completion that lost the race to the mutex
// across a second boundary is counted in the current window rather than
// reopening a closed one.
func (r *recorder) advance(sec int64) {
	for r.win.sec < sec {
		r.timeline = append(r.timeline, r.win.point())
		r.win.next()
	}
}

// window is the current second of the timeline.
type window struct {
	sec           int64
	count, errors int64
	hist          *hdr.Histogram // latency of successes, µs
}

func (w *window) point() result.TimelinePt {
	return result.TimelinePt{
		TS:     w.sec,
		Count:  w.count,
		Errors: w.errors,
		P50MS:  ms(w.hist.ValueAtQuantile(50)),
		P99MS:  ms(w.hist.ValueAtQuantile(99)),
		MaxMS:  ms(maxOf(w.hist)),
	}
}

// next swaps to the following second, reusing the histogram.
func (w *window) next() {
	if w.count > 0 {
		w.hist.Reset()
	}
	w.sec++
	w.count, w.errors = 0, 0
}

// maxOf is h's maximum, 0 when empty (Max would report the bucket of 0).
func maxOf(h *hdr.Histogram) int64 {
	if h.TotalCount() == 0 {
		return 0
	}
	return h.Max()
}
