package loadgen

import (
	"maps"
	"slices"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/rehearse/rehearse/result"
)

// Latency summarises a latency histogram in milliseconds.
type Latency struct {
	// Count is the number of recorded values.
	Count int64
	P50MS float64
	P95MS float64
	P99MS float64
	// P999MS is the 99.9th percentile.
	P999MS float64
	MaxMS  float64
}

func latencyOf(h *hdr.Histogram) Latency {
	if h.TotalCount() == 0 {
		return Latency{}
	}
	return Latency{
		Count:  h.TotalCount(),
		P50MS:  ms(h.ValueAtQuantile(50)),
		P95MS:  ms(h.ValueAtQuantile(95)),
		P99MS:  ms(h.ValueAtQuantile(99)),
		P999MS: ms(h.ValueAtQuantile(99.9)),
		MaxMS:  ms(maxOf(h)),
	}
}

func phaseStats(count, errors int64, h *hdr.Histogram) result.PhaseStats {
	l := latencyOf(h)
	return result.PhaseStats{Count: count, Errors: errors, P50MS: l.P50MS, P95MS: l.P95MS, P99MS: l.P99MS, MaxMS: l.MaxMS}
}

// summary fills the recorded part of a result.Workload: queries, per-phase
// merges and the timeline through the second of end.
func (r *recorder) summary(end time.Time) (queries []result.Query, byPhase map[string]result.PhaseStats, timeline []result.TimelinePt) {
	r.mu.Lock()
	defer r.mu.Unlock()
	merged := map[string]*phaseRec{}
	for _, q := range r.queries {
		queries = append(queries, q.summary())
		for name, p := range q.phases {
			m := merged[name]
			if m == nil {
				m = &phaseRec{latency: newHist()}
				merged[name] = m
			}
			m.count += p.count
			m.errors += p.errors
			m.latency.Merge(p.latency)
		}
	}
	byPhase = make(map[string]result.PhaseStats, len(merged))
	for name, m := range merged {
		byPhase[name] = phaseStats(m.count, m.errors, m.latency)
	}
	return queries, byPhase, r.timelineThrough(r.second(end))
}

func (q *queryRec) summary() result.Query {
	l := latencyOf(q.latency)
	out := result.Query{
		Name:             q.name,
		Count:            q.count,
		Errors:           q.errors,
		ErrorsBySQLState: maps.Clone(q.bySQLState),
		FirstError:       q.firstErr,
		P50MS:            l.P50MS,
		P95MS:            l.P95MS,
		P99MS:            l.P99MS,
		P999MS:           l.P999MS,
		MaxMS:            l.MaxMS,
		ByPhase:          make(map[string]result.PhaseStats, len(q.phases)),

		ConnectionsBySQLState: connCounts(q.conns),
	}
	for name, p := range q.phases {
		out.ByPhase[name] = phaseStats(p.count, p.errors, p.latency)
	}
	for _, s := range q.stmts {
		out.Statements = append(out.Statements, s.summary())
	}
	return out
}

func (s *stmtRec) summary() result.TxStatement {
	l := latencyOf(s.service)
	return result.TxStatement{Name: s.name, Count: s.count, Errors: s.errors, ErrorsBySQLState: maps.Clone(s.bySQLState),
		P50MS: l.P50MS, P95MS: l.P95MS, P99MS: l.P99MS, MaxMS: l.MaxMS}
}

// poolWait summarises the send lag: the time requests waited for a free
// connection (plus the scheduler's own lateness, normally well under a ms).
func (r *recorder) poolWait() *result.PoolWait {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := latencyOf(r.lag)
	pw := &result.PoolWait{Count: l.Count, P50MS: l.P50MS, P95MS: l.P95MS, P99MS: l.P99MS, P999MS: l.P999MS, MaxMS: l.MaxMS,
		ByPhase: make(map[string]result.PhaseStats, len(r.lagPhase))}
	for name, h := range r.lagPhase {
		pw.ByPhase[name] = phaseStats(h.TotalCount(), 0, h)
	}
	return pw
}

// workloadConns is the number of connections that saw each SQLSTATE.
func (r *recorder) workloadConns() map[string]int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return connCounts(r.conns)
}

// timelineThrough returns the closed windows, the current one, and empty
// seconds up to last, without closing anything: a snapshot must not disturb
// the recording. Caller holds r.mu.
func (r *recorder) timelineThrough(last int64) []result.TimelinePt {
	out := slices.Clone(r.timeline)
	out = append(out, r.win.point())
	for s := r.win.sec + 1; s <= last; s++ {
		out = append(out, result.TimelinePt{TS: s})
	}
	return out
}

// stats fills the recorder's part of Stats.
func (r *recorder) stats(s *Stats) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s.Service = make(map[string]Latency, len(r.queries))
	for _, q := range r.queries {
		s.Completed += q.count
		s.Errors += q.errors
		s.Service[q.name] = latencyOf(q.service)
	}
	s.SendLag = latencyOf(r.lag)
}

// merged summarises the named phases as one, over all queries.
func (r *recorder) merged(phases []string) result.PhaseStats {
	want := make(map[string]bool, len(phases))
	for _, p := range phases {
		want[p] = true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	m := phaseRec{latency: newHist()}
	for _, q := range r.queries {
		for name, p := range q.phases {
			if want[name] {
				m.count += p.count
				m.errors += p.errors
				m.latency.Merge(p.latency)
			}
		}
	}
	return phaseStats(m.count, m.errors, m.latency)
}
