package loadgen

import (
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rehearse/rehearse/result"
)

var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// at is an outcome of query q in phase, due at due and done after lat.
func at(q int, phase string, due, lat time.Duration, err error) outcome {
	return outcome{query: q, phase: phase, due: t0.Add(due), sent: t0.Add(due), done: t0.Add(due + lat), err: err}
}

// near reports whether got is within HDR's 3-significant-figure precision of want.
func near(got, want float64) bool { return math.Abs(got-want) <= want*1e-3+1e-3 }

func TestMicrosClampsIntoHistogramRange(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		d    time.Duration
		want int64
	}{{-time.Second, 1}, {0, 1}, {999 * time.Nanosecond, 1}, {1500 * time.Microsecond, 1500}, {2 * time.Hour, maxMicros}} {
		if got := micros(tt.d); got != tt.want {
			t.Errorf("micros(%v) = %d, want %d", tt.d, got, tt.want)
		}
	}
	// A clamped value is recorded, not rejected.
	h := newHist()
	if err := h.RecordValue(micros(3 * time.Hour)); err != nil || h.TotalCount() != 1 {
		t.Fatalf("record clamped value: %v", err)
	}
}

func TestQuerySummaryPercentilesInMilliseconds(t *testing.T) {
	t.Parallel()
	r := newRecorder([]Query{{Name: "q"}}, t0, t0)
	for i := 1; i <= 1000; i++ { // 1, 2, ... 1000 ms
		r.record(at(0, "run", 0, time.Duration(i)*time.Millisecond, nil))
	}
	queries, byPhase, _ := r.summary(t0)
	q := queries[0]
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"p50", q.P50MS, 500}, {"p95", q.P95MS, 950}, {"p99", q.P99MS, 990}, {"p999", q.P999MS, 999}, {"max", q.MaxMS, 1000}} {
		if !near(c.got, c.want) {
			t.Errorf("%s = %v ms, want %v", c.name, c.got, c.want)
		}
	}
	if q.Count != 1000 || q.Errors != 0 || q.ByPhase["run"].Count != 1000 || byPhase["run"].Count != 1000 {
		t.Errorf("counts: %+v, by phase %+v", q, byPhase)
	}
	if !reflect.DeepEqual(q.ErrorsBySQLState, map[string]int64{}) {
		t.Errorf("errors by sqlstate = %v, want an empty map", q.ErrorsBySQLState)
	}
}

func TestLatencyStartsAtDueTimeAndServiceAtSend(t *testing.T) {
	t.Parallel()
	r := newRecorder([]Query{{Name: "q"}}, t0, t0)
	// Due at 0, waited 2 s for a connection, executed in 5 ms.
	r.record(outcome{query: 0, phase: "run", due: t0, sent: t0.Add(2 * time.Second), done: t0.Add(2*time.Second + 5*time.Millisecond)})
	queries, _, _ := r.summary(t0)
	var s Stats
	r.stats(&s)
	if !near(queries[0].MaxMS, 2005) || !near(s.Service["q"].MaxMS, 5) || !near(s.SendLag.MaxMS, 2000) {
		t.Fatalf("latency %v ms, service %v ms, send lag %v ms", queries[0].MaxMS, s.Service["q"].MaxMS, s.SendLag.MaxMS)
	}
}

func TestErrorsAreClassifiedAndKeptOutOfLatency(t *testing.T) {
	t.Parallel()
	r := newRecorder([]Query{{Name: "ok"}, {Name: "bad"}}, t0, t0)
	missing := &pgconn.PgError{Code: "42703", Message: `column "x" does not exist`}
	r.record(at(1, "expand", 0, time.Second, missing))
	r.record(at(1, "expand", 0, time.Second, missing))
	r.record(at(1, "cooldown", 0, time.Second, errors.New("conn closed")))
	r.record(at(1, "cooldown", 0, 7*time.Millisecond, nil))
	r.record(at(0, "cooldown", 0, 3*time.Millisecond, nil))
	queries, byPhase, timeline := r.summary(t0)
	bad := queries[1]
	if bad.Count != 4 || bad.Errors != 3 {
		t.Errorf("bad: count %d errors %d", bad.Count, bad.Errors)
	}
	if want := map[string]int64{"42703": 2, ClientErrorKey: 1}; !reflect.DeepEqual(bad.ErrorsBySQLState, want) {
		t.Errorf("errors by sqlstate = %v, want %v", bad.ErrorsBySQLState, want)
	}
	if bad.FirstError != missing.Error() {
		t.Errorf("first error = %q", bad.FirstError)
	}
	if !near(bad.MaxMS, 7) { // the failed executions took 1 s: not in the latency
		t.Errorf("bad max = %v ms", bad.MaxMS)
	}
	wantPhases := map[string]result.PhaseStats{
		"expand":   {Count: 2, Errors: 2},
		"cooldown": {Count: 3, Errors: 1, P50MS: byPhase["cooldown"].P50MS, P95MS: byPhase["cooldown"].P95MS, P99MS: byPhase["cooldown"].P99MS, MaxMS: byPhase["cooldown"].MaxMS},
	}
	if !reflect.DeepEqual(byPhase, wantPhases) {
		t.Errorf("by phase = %+v", byPhase)
	}
	if c := byPhase["cooldown"]; !near(c.P50MS, 3) || !near(c.MaxMS, 7) {
		t.Errorf("merged cooldown = %+v", c)
	}
	if len(timeline) != 2 || timeline[1].Count != 5 || timeline[1].Errors != 3 {
		t.Errorf("timeline = %+v", timeline)
	}
}

func TestTimelineWindowsByCompletionSecond(t *testing.T) {
	t.Parallel()
	epoch := t0.Add(-2 * time.Second) // the rehearsal began before this workload
	r := newRecorder([]Query{{Name: "q"}}, epoch, t0)
	r.record(at(0, "run", 100*time.Millisecond, 10*time.Millisecond, nil))  // done 0.11 → t_s 2
	r.record(at(0, "run", 400*time.Millisecond, 100*time.Millisecond, nil)) // done 0.5  → 2
	r.record(at(0, "run", time.Second, 200*time.Millisecond, errors.New("x")))
	r.record(at(0, "run", 1500*time.Millisecond, 2200*time.Millisecond, nil)) // done 3.7 → 5 (4 is empty)
	// Recorded after a later completion: counted in the current window.
	r.record(at(0, "run", 2800*time.Millisecond, 100*time.Millisecond, nil))
	_, _, timeline := r.summary(t0.Add(7500 * time.Millisecond))
	want := []result.TimelinePt{
		{TS: 2, Count: 2, P50MS: 10, P99MS: 100, MaxMS: 100},
		{TS: 3, Count: 1, Errors: 1},
		{TS: 4},
		{TS: 5, Count: 2, P50MS: 100, P99MS: 2200, MaxMS: 2200},
		{TS: 6}, {TS: 7}, {TS: 8}, {TS: 9},
	}
	if len(timeline) != len(want) {
		t.Fatalf("timeline = %+v", timeline)
	}
	for i := range want {
		g, w := timeline[i], want[i]
		// The windows have 2 significant figures: within 1%.
		if g.TS != w.TS || g.Count != w.Count || g.Errors != w.Errors ||
			math.Abs(g.P50MS-w.P50MS) > w.P50MS/100 || math.Abs(g.P99MS-w.P99MS) > w.P99MS/100 || math.Abs(g.MaxMS-w.MaxMS) > w.MaxMS/100 {
			t.Errorf("point %d = %+v, want %+v", i, g, w)
		}
	}
	// A snapshot does not close windows: recording continues where it was.
	r.record(at(0, "run", 3900*time.Millisecond, 0, nil)) // done 3.9 → 5
	if _, _, again := r.summary(t0.Add(4 * time.Second)); again[3].Count != 3 {
		t.Errorf("after snapshot: %+v", again)
	}
}

func TestSecondFloorsBeforeTheEpoch(t *testing.T) {
	t.Parallel()
	r := newRecorder(nil, t0, t0)
	for _, tt := range []struct {
		d    time.Duration
		want int64
	}{{0, 0}, {999 * time.Millisecond, 0}, {time.Second, 1}, {-time.Millisecond, -1}, {-time.Second, -1}, {-1001 * time.Millisecond, -2}} {
		if got := r.second(t0.Add(tt.d)); got != tt.want {
			t.Errorf("second(%v) = %d, want %d", tt.d, got, tt.want)
		}
	}
}

func TestEmptySummary(t *testing.T) {
	t.Parallel()
	r := newRecorder([]Query{{Name: "q"}}, t0, t0)
	queries, byPhase, timeline := r.summary(t0)
	if len(queries) != 1 || queries[0].Count != 0 || queries[0].MaxMS != 0 || len(byPhase) != 0 || !reflect.DeepEqual(timeline, []result.TimelinePt{{TS: 0}}) {
		t.Fatalf("%+v %+v %+v", queries, byPhase, timeline)
	}
}

func TestMergedPhasesCombineHistogramsNotPercentiles(t *testing.T) {
	t.Parallel()
	r := newRecorder([]Query{{Name: "a"}, {Name: "b"}}, t0, t0)
	for i := range 99 { // step1: 99 fast requests
		r.record(at(i%2, "step1", 0, time.Millisecond, nil))
	}
	r.record(at(1, "step2", 0, 500*time.Millisecond, nil)) // step2: one slow one
	r.record(at(0, "step2", 0, time.Second, errors.New("x")))
	r.record(at(0, "baseline", 0, 2*time.Second, nil))
	m := r.merged([]string{"step1", "step2", "step2", "unknown"})
	// Over the 100 successes together the p99 is fast; step2 alone says 500 ms.
	if m.Count != 101 || m.Errors != 1 || !near(m.P99MS, 1) || !near(m.MaxMS, 500) {
		t.Fatalf("merged = %+v", m)
	}
	if none := r.merged(nil); none != (result.PhaseStats{}) {
		t.Fatalf("merged() = %+v", none)
	}
}
