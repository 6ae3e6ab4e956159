package reports

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/rehearse/rehearse/internal/human"
	"github.com/rehearse/rehearse/result"
)

// The three charts of the HTML report. All share the time axis (seconds
// since traffic started) and shade the migration steps.

const (
	chartWidth   = 1200
	stepColour   = "#ff9800"
	errorColour  = "#d62728"
	stallColour  = "#d62728"
	migrationInk = "#7f7f7f"
	// maxRamps bounds the lock waits drawn into the latency chart, and
	// maxTimelineRows the rows of the lock wait timeline.
	maxRamps        = 50
	maxTimelineRows = 40
)

var workloadPalette = []string{"#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf"}

func workloadColour(r *result.Result, name string) string {
	if name == workloadMigration {
		return migrationInk
	}
	for i, w := range r.Workloads {
		if w.Name == name {
			return workloadPalette[i%len(workloadPalette)]
		}
	}
	return migrationInk
}

// timePlot starts a chart over the traffic part of the run with the
// migration steps shaded.
func timePlot(r *result.Result, height float64, title string) *plot {
	p := newPlot(chartWidth, height)
	p.t0, p.t1 = 0, math.Max(spanMS(r)/1000, 1)
	p.open(title)
	p.title(title)
	return p
}

func shadeSteps(p *plot, r *result.Result) {
	for _, ph := range stepPhases(r) {
		p.band(float64(ph.StartMS)/1000, float64(ph.EndMS)/1000, stepColour, ph.Name)
	}
}

// window is one second of a workload's timeline laid out for plotting.
type windows struct {
	ts           []float64
	p50, p99     []float64
	count, errs  []float64
	noLatency    []bool // no successful request completed
	noCompletion []bool // nothing completed at all
}

func workloadWindows(w result.Workload) windows {
	var out windows
	for _, pt := range w.Timeline {
		out.ts = append(out.ts, float64(pt.TS))
		out.p50 = append(out.p50, pt.P50MS)
		out.p99 = append(out.p99, pt.P99MS)
		out.count = append(out.count, float64(pt.Count))
		out.errs = append(out.errs, float64(pt.Errors))
		out.noLatency = append(out.noLatency, pt.Count-pt.Errors <= 0)
		out.noCompletion = append(out.noCompletion, pt.Count == 0)
	}
	return out
}

// latencyChart draws p50 and p99 per workload per second on a log axis,
// with the steps shaded. Latency is by completion time, so a request held
// by a lock shows when the lock is released; to show the wait as it
// happens, each long traffic lock wait from the lock monitor is drawn as a
// dotted ramp: at time t its waiting query had waited t - start.
// Seconds in which no request completed are marked along the bottom.
func latencyChart(r *result.Result) string {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, w := range r.Workloads {
		for _, pt := range w.Timeline {
			for _, v := range []float64{pt.P50MS, pt.P99MS} {
				if v > 0 && pt.Count > pt.Errors {
					lo, hi = math.Min(lo, v), math.Max(hi, v)
				}
			}
		}
	}
	ramps := trafficEvents(r)
	ramps = ramps[:min(len(ramps), maxRamps)]
	for _, e := range ramps {
		hi = math.Max(hi, e.WaitMS)
	}
	p := timePlot(r, 380, "Latency per second (log scale), by completion time")
	if math.IsInf(lo, 1) {
		p.printf(`<text x="%s" y="120" fill="#555">no request completed: nothing to plot</text>`, num(p.left))
		return p.close()
	}
	p.log = true
	p.v0 = math.Max(math.Floor(math.Log10(lo)), -2)
	p.v1 = math.Max(math.Ceil(math.Log10(hi)), p.v0+1)
	p.valueAxis("latency", formatDecade)
	shadeSteps(p, r)
	p.timeAxis()
	legend := []legendEntry{}
	for _, w := range r.Workloads {
		if len(w.Timeline) == 0 {
			continue
		}
		colour := workloadColour(r, w.Name)
		win := workloadWindows(w)
		stallRow(p, win)
		p.stepLine(win.ts, win.p50, win.noLatency, colour, 1.2, "5 3")
		p.stepLine(win.ts, win.p99, win.noLatency, colour, 2.2, "")
		legend = append(legend, legendEntry{kind: "line", colour: colour, label: w.Name + " p99"},
			legendEntry{kind: "dash", colour: colour, label: w.Name + " p50"})
	}
	for _, e := range ramps {
		lockRamp(p, e, workloadColour(r, e.Workload))
	}
	stallMarks(p, r)
	legend = append(legend, legendEntry{kind: "box", colour: stepColour, opacity: "0.35", label: "migration step"})
	if len(ramps) > 0 {
		legend = append(legend, legendEntry{kind: "dot", colour: "#333", label: "waiting on a lock (pg_locks sampler)"})
	}
	legend = append(legend, legendEntry{kind: "box", colour: stallColour, opacity: "0.8", label: "no request completed"})
	p.legend(legend)
	return p.close()
}

// stallRow marks, along the bottom of the plot, the seconds in which the
// workload completed nothing while its traffic ran.
func stallRow(p *plot, win windows) {
	yb := p.height - p.bottom
	for i, t := range win.ts {
		if win.noCompletion[i] {
			x0, x1 := p.x(t), p.x(t+1)
			p.printf(`<rect class="stall" x="%s" y="%s" width="%s" height="6" fill="%s" fill-opacity="0.8"/>`,
				num(x0), num(yb-7), num(math.Max(x1-x0, 1)), stallColour)
		}
	}
}

// lockRamp draws one lock wait as the age of the waiting query over time,
// ending in a dot where the wait ended.
func lockRamp(p *plot, e result.LockEvent, colour string) {
	start := float64(e.StartMS) / 1000
	floor := math.Pow(10, p.v0)
	if e.WaitMS <= floor {
		return
	}
	var pts []string
	const samples = 24
	for i := 0; i <= samples; i++ {
		// Geometric steps from the axis floor to the wait: even on a log axis.
		age := floor * math.Pow(e.WaitMS/floor, float64(i)/samples)
		pts = append(pts, num(p.x(start+age/1000))+","+num(p.y(age)))
	}
	end := start + e.WaitMS/1000
	p.printf(`<polyline class="lockwait" points="%s" fill="none" stroke="%s" stroke-width="1.5" stroke-dasharray="1 3" stroke-opacity="0.8"/>`,
		strings.Join(pts, " "), colour)
	p.printf(`<circle cx="%s" cy="%s" r="3" fill="%s"/>`, num(p.x(end)), num(p.y(e.WaitMS)), colour)
}

// formatDecade labels a power of ten in milliseconds: 0.01ms … 10s.
func formatDecade(ms float64) string {
	if ms >= 1000 {
		return trimFloat(ms/1000, 2) + "s"
	}
	return trimFloat(ms, 2) + "ms"
}

// throughputChart draws completed requests per second per workload, the
// target rates, and errors per second as bars.
func throughputChart(r *result.Result) string {
	top := 1.0
	for _, w := range r.Workloads {
		top = math.Max(top, w.TargetRate)
		for _, pt := range w.Timeline {
			top = math.Max(top, float64(pt.Count))
		}
	}
	p := timePlot(r, 300, "Throughput and errors per second")
	p.v0, p.v1 = 0, niceCeil(top)
	p.valueAxis("requests per second", func(v float64) string { return trimFloat(v, 1) })
	shadeSteps(p, r)
	p.timeAxis()
	errs := map[int64]int64{}
	for _, w := range r.Workloads {
		for _, pt := range w.Timeline {
			errs[pt.TS] += pt.Errors
		}
	}
	seconds := make([]int64, 0, len(errs))
	for t := range errs {
		seconds = append(seconds, t)
	}
	sort.Slice(seconds, func(i, j int) bool { return seconds[i] < seconds[j] })
	anyErrors := false
	for _, t := range seconds {
		n := errs[t]
		if n == 0 {
			continue
		}
		anyErrors = true
		x0, x1 := p.x(float64(t)), p.x(float64(t+1))
		y := math.Min(p.y(float64(n)), p.height-p.bottom-3) // a single error stays visible
		p.printf(`<rect class="errors" x="%s" y="%s" width="%s" height="%s" fill="%s"/>`,
			num(x0+1), num(y), num(math.Max(x1-x0-2, 1)), num(p.height-p.bottom-y), errorColour)
		p.printf(`<text x="%s" y="%s" text-anchor="middle" fill="%s" font-size="10">%d</text>`,
			num((x0+x1)/2), num(y-3), errorColour, n)
	}
	legend := []legendEntry{}
	for _, w := range r.Workloads {
		if len(w.Timeline) == 0 {
			continue
		}
		colour := workloadColour(r, w.Name)
		win := workloadWindows(w)
		p.stepLine(win.ts, win.count, make([]bool, len(win.ts)), colour, 2, "")
		if w.TargetRate > 0 {
			y := p.y(w.TargetRate)
			p.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-dasharray="2 4"/>`,
				num(p.x(win.ts[0])), num(y), num(p.x(win.ts[len(win.ts)-1]+1)), num(y), colour)
		}
		legend = append(legend, legendEntry{kind: "line", colour: colour, label: w.Name + " completed/s"},
			legendEntry{kind: "dot", colour: colour, label: w.Name + " target"})
	}
	legend = append(legend, legendEntry{kind: "box", colour: stepColour, opacity: "0.35", label: "migration step"})
	if anyErrors {
		legend = append(legend, legendEntry{kind: "box", colour: errorColour, opacity: "1", label: "errors (count above)"})
	}
	p.legend(legend)
	return p.close()
}

// lockTimeline draws each lock wait as a bar from its start to its end, one
// row per wait in order of start; with more than maxTimelineRows waits, the
// longest ones.
func lockTimeline(r *result.Result) string {
	events := append([]result.LockEvent(nil), r.LockWaits.Events...)
	sortLongestFirst(events)
	shown := events[:min(len(events), maxTimelineRows)]
	sort.SliceStable(shown, func(i, j int) bool { return shown[i].StartMS < shown[j].StartMS })
	const row = 16.0
	height := 46 + 36 + math.Max(float64(len(shown)), 1)*row + 8
	p := timePlot(r, height, "Lock waits over time")
	p.v0, p.v1 = 0, 1
	shadeSteps(p, r)
	p.timeAxis()
	if len(shown) == 0 {
		p.printf(`<text x="%s" y="%s" fill="#555">no lock waits were seen</text>`, num(p.left+8), num(p.top+16))
		return p.close()
	}
	mid := (p.t0 + p.t1) / 2
	for i, e := range shown {
		y := p.top + 6 + float64(i)*row
		start, end := float64(e.StartMS)/1000, float64(e.StartMS)/1000+e.WaitMS/1000
		x0, x1 := p.x(start), p.x(end)
		colour := workloadColour(r, e.Workload)
		p.printf(`<rect class="wait" x="%s" y="%s" width="%s" height="%s" fill="%s"/>`,
			num(x0), num(y), num(math.Max(x1-x0, 2)), num(row-5), colour)
		label := fmt.Sprintf("%s %s · %s %s · %s", e.Workload, human.Clip(e.Query, 40), e.Relation, modeShort(e.Mode), human.MS(e.WaitMS))
		if start < mid {
			p.printf(`<text x="%s" y="%s" font-size="10" fill="#222">%s</text>`, num(math.Max(x1, x0+2)+4), num(y+row-7), esc(label))
		} else {
			p.printf(`<text x="%s" y="%s" font-size="10" fill="#222" text-anchor="end">%s</text>`, num(x0-4), num(y+row-7), esc(label))
		}
	}
	legend := []legendEntry{}
	seen := map[string]bool{}
	for _, e := range shown {
		if !seen[e.Workload] {
			seen[e.Workload] = true
			legend = append(legend, legendEntry{kind: "box", colour: workloadColour(r, e.Workload), opacity: "1", label: e.Workload})
		}
	}
	sort.Slice(legend, func(i, j int) bool { return legend[i].label < legend[j].label })
	legend = append(legend, legendEntry{kind: "box", colour: stepColour, opacity: "0.35", label: "migration step"})
	if n := len(events) + r.LockWaits.EventsOmitted - len(shown); n > 0 {
		legend = append(legend, legendEntry{kind: "box", colour: "#ffffff", opacity: "0", label: fmt.Sprintf("(%d shorter waits not drawn)", n)})
	}
	p.legend(legend)
	return p.close()
}
