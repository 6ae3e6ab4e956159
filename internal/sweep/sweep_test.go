package sweep

import (
	"math"
	"strings"
	"testing"

	"github.com/rehearse/rehearse/result"
)

func TestLinearExact(t *testing.T) {
	t.Parallel()
	f, err := Linear([]Point{{1e6, 120}, {4e6, 420}, {16e6, 1620}})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(f.Slope-1e-4) > 1e-12 || math.Abs(f.Intercept-20) > 1e-6 || f.R2 < 0.999999 || f.MaxRelErr > 1e-9 {
		t.Errorf("fit %+v, want 20 + 1e-4·rows exactly", f)
	}
	if ok, why := f.Extrapolable(); !ok {
		t.Errorf("an exact line is not extrapolable: %s", why)
	}
	if got := f.At(100e6); math.Abs(got-10020) > 1e-6 {
		t.Errorf("At(100M) = %g, want 10020", got)
	}
}

func TestLinearRefusesCurvesAndTooFewPoints(t *testing.T) {
	t.Parallel()
	// Quadratic growth: a line fits it badly.
	f, err := Linear([]Point{{1, 1}, {2, 4}, {3, 9}, {10, 100}})
	if err != nil {
		t.Fatal(err)
	}
	if ok, why := f.Extrapolable(); ok || !strings.Contains(why, "not linear enough") {
		t.Errorf("quadratic: extrapolable=%v (%s), R² %.3f", ok, why, f.R2)
	}
	two, _ := Linear([]Point{{1, 1}, {2, 5}})
	if ok, why := two.Extrapolable(); ok || !strings.Contains(why, "three or more") {
		t.Errorf("two sizes: extrapolable=%v (%s)", ok, why)
	}
	if _, err := Linear([]Point{{5, 1}, {5, 2}}); err == nil {
		t.Error("one size twice: no error")
	}
}

func TestCollect(t *testing.T) {
	t.Parallel()
	mk := func(d int64, held, wait float64) *result.Result {
		return &result.Result{
			Steps: []result.Step{{Name: "add", DurationMS: d, Locks: []result.StepLock{{Relation: "t", HeldMS: held}}}},
			Workloads: []result.Workload{{Name: "old", Queries: []result.Query{{Name: "q",
				ByPhase: map[string]result.PhaseStats{"add": {MaxMS: wait}, "baseline": {MaxMS: 999}}}}}},
		}
	}
	series := Collect([]float64{4e6, 1e6, 16e6}, []*result.Result{mk(40, 38, 41), mk(10, 9, 11), mk(160, 150, 161)})
	if len(series) != 3 {
		t.Fatalf("%d series, want duration, lock held and max wait of step add", len(series))
	}
	d := series[0]
	if d.Step != "add" || d.Figure != Duration || d.Points[0].Rows != 1e6 || d.FitErr != nil || math.Abs(d.Fit.At(100e6)-1000) > 1e-6 {
		t.Errorf("duration series %+v, want points sorted by rows and 1000 ms at 100M", d)
	}
	if w := series[2]; w.Figure != MaxWait || w.Points[2].Value != 161 {
		t.Errorf("max wait series %+v: want the step's phase, not the baseline's", w)
	}
}

// A time figure of a few milliseconds is not extrapolated, however well a
// line fits it; WAL bytes have no such floor.
func TestSeriesTooSmallToExtrapolate(t *testing.T) {
	pts := []Point{{1e5, 10}, {2e5, 20}, {4e5, 40}, {8e5, 80}}
	fit, err := Linear(pts)
	if err != nil {
		t.Fatal(err)
	}
	if ok, why := (Series{Figure: Duration, Points: pts, Fit: fit}).Extrapolable(); ok || !strings.Contains(why, "too small to show a trend (80 ms") {
		t.Errorf("80 ms step: extrapolable %v (%s), want refused as too small", ok, why)
	}
	if ok, why := (Series{Figure: WAL, Points: pts, Fit: fit}).Extrapolable(); !ok {
		t.Errorf("80 bytes of WAL on a line: refused (%s)", why)
	}
	big := []Point{{1e5, 100}, {2e5, 200}, {4e5, 400}, {8e5, 800}}
	fit, _ = Linear(big)
	if ok, why := (Series{Figure: LockHeld, Points: big, Fit: fit}).Extrapolable(); !ok {
		t.Errorf("800 ms lock on a line: refused (%s)", why)
	}
}
