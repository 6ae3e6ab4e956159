package reports

import (
	"fmt"
	"math"
	"strings"

	"github.com/rehearse/rehearse/internal/human"
	"github.com/rehearse/rehearse/result"
)

// mermaidPalette colours the series of a chart in order: the step bars
// light grey (a background), the p99 line red. GitHub applies the %%{init}%%
// directive; a viewer that ignores it falls back to its theme's colours,
// and the bars still stand for the steps.
const mermaidPalette = `%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "#d9d9d9, #d62728"}}}}%%`

// mermaidLatency draws the p99 latency of one workload over time as a
// Mermaid xychart-beta with at most maxPoints points. xychart-beta has no
// shaded regions, so a bar series marks the migration steps: a full-height
// bar in each interval in which a step ran, drawn behind the line; the
// x-axis label of the interval where a step begins carries the step's name.
// An interval holds the worst (largest) p99 of its one-second windows.
// It returns false when the workload has no timeline.
func mermaidLatency(r *result.Result, w result.Workload, maxPoints int) (string, bool) {
	if len(w.Timeline) == 0 || maxPoints < 2 {
		return "", false
	}
	span := spanMS(r)
	width := int64(math.Ceil(span / 1000 / float64(maxPoints))) // seconds per interval
	width = max(width, 1)
	n := int(math.Ceil(span / 1000 / float64(width)))
	n = max(n, 1)

	p99 := make([]float64, n)
	for _, pt := range w.Timeline {
		i := int(pt.TS / width)
		if i < 0 || i >= n || pt.Count-pt.Errors <= 0 {
			continue
		}
		p99[i] = math.Max(p99[i], pt.P99MS)
	}
	top := 0.0
	for _, v := range p99 {
		top = math.Max(top, v)
	}
	top = niceCeil(top)

	steps := stepPhases(r)
	labels := make([]string, n)
	bars := make([]float64, n)
	for i := range n {
		from, to := float64(int64(i)*width*1000), float64(int64(i+1)*width*1000)
		var starting []string
		for _, ph := range steps {
			if float64(ph.StartMS) < to && float64(ph.EndMS) > from {
				bars[i] = top
			}
			if float64(ph.StartMS) >= from && float64(ph.StartMS) < to {
				starting = append(starting, mermaidLabel(ph.Name, 16))
			}
		}
		labels[i] = fmt.Sprint(int64(i) * width)
		switch {
		case len(starting) > 2:
			labels[i] += fmt.Sprintf(" %s +%d", starting[0], len(starting)-1)
		case len(starting) > 0:
			labels[i] += " " + strings.Join(starting, " ")
		}
	}

	var b strings.Builder
	fmt.Fprintf(&b, "%s\nxychart-beta\n", mermaidPalette)
	fmt.Fprintf(&b, "    title \"%s\"\n", mermaidLabel(fmt.Sprintf("%s: p99 latency (ms), %ds intervals", w.Name, width), 80))
	quoted := make([]string, n)
	for i, l := range labels {
		quoted[i] = `"` + l + `"`
	}
	fmt.Fprintf(&b, "    x-axis \"seconds since traffic started\" [%s]\n", strings.Join(quoted, ", "))
	fmt.Fprintf(&b, "    y-axis \"p99 (ms)\" 0 --> %s\n", trimFloat(top, 3))
	fmt.Fprintf(&b, "    bar %s\n", mermaidNumbers(bars))
	fmt.Fprintf(&b, "    line %s\n", mermaidNumbers(p99))
	return b.String(), true
}

// mermaidLabel makes s safe inside a quoted xychart string: one line, no
// double quotes, no %% (a comment), at most n characters.
func mermaidLabel(s string, n int) string {
	s = strings.ReplaceAll(human.Clip(s, n), `"`, "'")
	for strings.Contains(s, "%%") {
		s = strings.ReplaceAll(s, "%%", "%")
	}
	return s
}

// mermaidNumbers writes [1, 2.5, 0]: the grammar has no exponent form.
func mermaidNumbers(vs []float64) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = trimFloat(v, 2)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
