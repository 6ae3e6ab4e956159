// Package sweep fits how a migration's figures grow with the data: the
// same scenario rehearsed at several sizes gives, per step, points (rows,
// value) for the step's duration, its longest lock hold, its WAL and the
// longest wait of traffic during it; a least-squares line through them
// predicts the figure at production size, with the fit's error, or says
// why the trend should not be extrapolated. It is pure: no database.
package sweep

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/rehearse/rehearse/result"
)

// MinR2 is the least coefficient of determination of a line that is
// extrapolated, and MaxHoldOutErr the largest error of the line through
// all sizes but the largest at predicting the largest. R² alone is fooled
// by a far point (a quadratic at 1, 2, 3 and 10 fits a line with R² 0.98);
// predicting the measured largest size from the smaller ones is the
// extrapolation the user asks for, tried where the answer is known.
const (
	MinR2         = 0.95
	MaxHoldOutErr = 0.25
)

// Point is one measurement: the rows of the largest table, and a figure.
type Point struct {
	Rows, Value float64
}

// Fit is the least-squares line Value = Intercept + Slope × Rows.
type Fit struct {
	Intercept, Slope float64
	// R2 is the coefficient of determination (1: every point on the line).
	// With all values equal it is 1 (a flat line fits exactly).
	R2 float64
	// MaxRelErr is the largest |residual| ÷ |value| over the points: the
	// error to state with a prediction.
	MaxRelErr float64
	// HoldOutErr is |predicted − measured| ÷ |measured| at the largest size
	// for the line through the other sizes (NaN with fewer than 3 sizes).
	HoldOutErr float64
	N          int
}

// Linear fits a line through points; it needs two distinct sizes.
func Linear(points []Point) (Fit, error) {
	f, err := line(points)
	if err != nil {
		return f, err
	}
	f.HoldOutErr = math.NaN()
	if len(points) >= 3 {
		sorted := append([]Point(nil), points...)
		sort.Slice(sorted, func(a, b int) bool { return sorted[a].Rows < sorted[b].Rows })
		last := sorted[len(sorted)-1]
		if g, err := line(sorted[:len(sorted)-1]); err == nil && last.Value != 0 {
			f.HoldOutErr = math.Abs(g.At(last.Rows)-last.Value) / math.Abs(last.Value)
		} else if err == nil {
			f.HoldOutErr = math.Abs(g.At(last.Rows))
		}
	}
	return f, nil
}

func line(points []Point) (Fit, error) {
	n := float64(len(points))
	if len(points) < 2 {
		return Fit{}, errors.New("a fit needs at least two sizes")
	}
	var sx, sy float64
	for _, p := range points {
		sx, sy = sx+p.Rows, sy+p.Value
	}
	mx, my := sx/n, sy/n
	var sxx, sxy, syy float64
	for _, p := range points {
		dx, dy := p.Rows-mx, p.Value-my
		sxx, sxy, syy = sxx+dx*dx, sxy+dx*dy, syy+dy*dy
	}
	if sxx == 0 {
		return Fit{}, errors.New("a fit needs at least two different sizes")
	}
	f := Fit{Slope: sxy / sxx, N: len(points)}
	f.Intercept = my - f.Slope*mx
	var sse float64
	for _, p := range points {
		r := p.Value - f.At(p.Rows)
		sse += r * r
		if p.Value != 0 {
			f.MaxRelErr = math.Max(f.MaxRelErr, math.Abs(r)/math.Abs(p.Value))
		}
	}
	f.R2 = 1
	if syy > 0 {
		f.R2 = 1 - sse/syy
	}
	return f, nil
}

// At is the line's value at rows.
func (f Fit) At(rows float64) float64 { return f.Intercept + f.Slope*rows }

// Extrapolable says whether a prediction from f is worth stating, and if
// not, why.
func (f Fit) Extrapolable() (bool, string) {
	switch {
	case f.N < 3:
		return false, fmt.Sprintf("%d sizes: a line through two points always fits; rehearse at three or more", f.N)
	case f.R2 < MinR2:
		return false, fmt.Sprintf("not linear enough to extrapolate (R² %.3f < %.2f)", f.R2, MinR2)
	case math.IsNaN(f.HoldOutErr) || f.HoldOutErr > MaxHoldOutErr:
		return false, fmt.Sprintf("not linear enough to extrapolate (the smaller sizes predict the largest %.0f%% off)", 100*f.HoldOutErr)
	}
	return true, ""
}

// Figure names.
const (
	Duration = "duration_ms"
	LockHeld = "lock_held_ms" // the step's longest-held lock
	WAL      = "wal_bytes"    // written during the step (with a standby only)
	MaxWait  = "max_wait_ms"  // the slowest traffic request during the step
)

// Figures reads each step's figures from a result: step → figure → value.
// WAL is there only when the scenario had a standby.
func Figures(res *result.Result) map[string]map[string]float64 {
	out := map[string]map[string]float64{}
	for _, s := range res.Steps {
		f := map[string]float64{Duration: float64(s.DurationMS)}
		var held float64
		for _, l := range s.Locks {
			held = math.Max(held, l.HeldMS)
		}
		f[LockHeld] = held
		if res.Replication != nil {
			if w, ok := res.Replication.WALBytesByPhase[s.Name]; ok {
				f[WAL] = float64(w)
			}
		}
		var wait float64
		for _, w := range res.Workloads {
			for _, q := range w.Queries {
				wait = math.Max(wait, q.ByPhase[s.Name].MaxMS)
			}
		}
		f[MaxWait] = wait
		out[s.Name] = f
	}
	return out
}

// MinTimeMS is the smallest time figure at the largest size that a sweep
// extrapolates: below it, a step's milliseconds are mostly the machine's
// noise and the lock monitor's sampling gap (50 ms), not a trend. Measured:
// a 12 ms ADD COLUMN at 1M rows that a line through 100k–800k (R² 0.96)
// had put at 23 ms.
const MinTimeMS = 100

// Extrapolable says whether the series' prediction is worth stating, and
// if not, why: its fit's rules (Fit.Extrapolable), and for a time figure,
// at least MinTimeMS at the largest size.
func (s Series) Extrapolable() (bool, string) {
	if s.Figure != WAL && len(s.Points) > 0 {
		if largest := s.Points[len(s.Points)-1].Value; largest < MinTimeMS {
			return false, fmt.Sprintf("too small to show a trend (%.0f ms at the largest size, under %d ms: the machine's noise and the lock monitor's 50 ms sampling gap); sweep at sizes where it takes longer",
				largest, MinTimeMS)
		}
	}
	return s.Fit.Extrapolable()
}

// Series is one figure of one step over the sizes, with its fit.
type Series struct {
	Step, Figure string
	Points       []Point
	Fit          Fit
	FitErr       error
}

// Collect turns results at several sizes (rows of the largest table, one
// result each) into series, in step order then figure order.
func Collect(rows []float64, results []*result.Result) []Series {
	var steps []string
	seen := map[string]bool{}
	byKey := map[[2]string][]Point{}
	for i, res := range results {
		if res == nil {
			continue
		}
		for _, s := range res.Steps {
			if !seen[s.Name] {
				seen[s.Name] = true
				steps = append(steps, s.Name)
			}
		}
		for step, figs := range Figures(res) {
			for name, v := range figs {
				k := [2]string{step, name}
				byKey[k] = append(byKey[k], Point{rows[i], v})
			}
		}
	}
	var out []Series
	for _, step := range steps {
		for _, name := range []string{Duration, LockHeld, WAL, MaxWait} {
			pts := byKey[[2]string{step, name}]
			if len(pts) == 0 {
				continue
			}
			sort.Slice(pts, func(a, b int) bool { return pts[a].Rows < pts[b].Rows })
			s := Series{Step: step, Figure: name, Points: pts}
			s.Fit, s.FitErr = Linear(pts)
			out = append(out, s)
		}
	}
	return out
}
