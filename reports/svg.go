package reports

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// A small hand-written SVG plotter for the HTML report: a time axis in
// seconds, a linear or log10 value axis, bands, step lines, bars and text.
// Output is well-formed XML, so the page can be parsed as XHTML.

// plot is one chart being drawn. Coordinates are in the SVG's user units.
type plot struct {
	b strings.Builder
	// width and height of the whole chart; the plot area is inside the margins.
	width, height            float64
	left, right, top, bottom float64
	// t0, t1: the time range in seconds; v0, v1: the value range (log10 of
	// the value when log is set).
	t0, t1, v0, v1 float64
	log            bool
	// labelEnds is where the last band label of each row ends.
	labelEnds [3]float64
}

func newPlot(width, height float64) *plot {
	return &plot{width: width, height: height, left: 70, right: 20, top: 46, bottom: 36}
}

// x maps seconds to a horizontal coordinate.
func (p *plot) x(t float64) float64 {
	return p.left + (t-p.t0)/(p.t1-p.t0)*(p.width-p.left-p.right)
}

// y maps a value to a vertical coordinate, clamped to the plot area.
func (p *plot) y(v float64) float64 {
	if p.log {
		if v <= 0 {
			v = p.v0
		} else {
			v = math.Log10(v)
		}
	}
	v = math.Max(p.v0, math.Min(p.v1, v))
	return p.height - p.bottom - (v-p.v0)/(p.v1-p.v0)*(p.height-p.top-p.bottom)
}

func (p *plot) printf(format string, args ...any) { fmt.Fprintf(&p.b, format, args...) }

// num writes a coordinate with two decimals at most.
func num(v float64) string { return trimFloat(v, 2) }

func esc(s string) string { return html.EscapeString(s) }

// open starts the <svg> element; label is its accessible name.
func (p *plot) open(label string) {
	p.printf(`<svg viewBox="0 0 %s %s" width="100%%" role="img" aria-label="%s" font-family="sans-serif" font-size="12">`,
		num(p.width), num(p.height), esc(label))
	p.printf(`<rect x="0" y="0" width="%s" height="%s" fill="#ffffff"/>`, num(p.width), num(p.height))
}

func (p *plot) close() string {
	p.printf(`</svg>`)
	return p.b.String()
}

func (p *plot) title(s string) {
	p.printf(`<text x="%s" y="20" font-size="14" font-weight="bold">%s</text>`, num(p.left), esc(s))
}

// band shades the time range [from, to) seconds over the whole plot height,
// with a thin line where it starts (adjacent steps stay apart), and writes
// label near its top, in the first of three rows where it does not overlap
// an earlier label (or not at all).
func (p *plot) band(from, to float64, fill, label string) {
	x0, x1 := p.x(math.Max(from, p.t0)), p.x(math.Min(to, p.t1))
	w := math.Max(x1-x0, 1.5)
	p.printf(`<rect class="step" x="%s" y="%s" width="%s" height="%s" fill="%s" fill-opacity="0.22"/>`,
		num(x0), num(p.top), num(w), num(p.height-p.top-p.bottom), fill)
	p.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-opacity="0.6"/>`,
		num(x0), num(p.top), num(x0), num(p.height-p.bottom), fill)
	if label == "" {
		return
	}
	width := 6.2 * float64(len([]rune(label)))
	for row := range p.labelEnds {
		if p.labelEnds[row] <= x0 {
			p.printf(`<text x="%s" y="%s" font-size="11" fill="#9a4a00">%s</text>`, num(x0+3), num(p.top+12+13*float64(row)), esc(label))
			p.labelEnds[row] = x0 + width + 8
			return
		}
	}
}

// timeAxis draws the horizontal axis with about eight labelled ticks.
func (p *plot) timeAxis() {
	yb := p.height - p.bottom
	p.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#444"/>`, num(p.left), num(yb), num(p.width-p.right), num(yb))
	step := niceTimeStep((p.t1 - p.t0) / 8)
	for t := math.Ceil(p.t0/step) * step; t <= p.t1+1e-9; t += step {
		x := p.x(t)
		p.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#444"/>`, num(x), num(yb), num(x), num(yb+4))
		p.printf(`<text x="%s" y="%s" text-anchor="middle" fill="#333">%s</text>`, num(x), num(yb+16), esc(formatSeconds(t)))
	}
	p.printf(`<text x="%s" y="%s" text-anchor="end" fill="#555" font-size="11">time since traffic started</text>`,
		num(p.width-p.right), num(p.height-4))
}

// niceTimeStep picks a tick interval in seconds of at least min.
func niceTimeStep(min float64) float64 {
	for _, s := range []float64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600} {
		if s >= min {
			return s
		}
	}
	return 3600 * math.Ceil(min/3600)
}

func formatSeconds(t float64) string {
	if t < 60 || math.Mod(t, 60) != 0 && t < 600 {
		return trimFloat(t, 1) + "s"
	}
	m, s := int(t)/60, int(t)%60
	if s == 0 {
		return fmt.Sprintf("%dm", m)
	}
	return fmt.Sprintf("%dm%02ds", m, s)
}

// valueAxis draws horizontal grid lines with labels: decades (and 2, 5
// between them, unlabelled) on a log axis, about five lines on a linear one.
func (p *plot) valueAxis(unit string, format func(float64) string) {
	xr := p.width - p.right
	line := func(v float64, label bool, strong bool) {
		y := p.y(v)
		colour := "#e6e6e6"
		if strong {
			colour = "#cccccc"
		}
		p.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s"/>`, num(p.left), num(y), num(xr), num(y), colour)
		if label {
			p.printf(`<text x="%s" y="%s" text-anchor="end" fill="#333">%s</text>`, num(p.left-6), num(y+4), esc(format(v)))
		}
	}
	if p.log {
		for d := p.v0; d <= p.v1+1e-9; d++ {
			base := math.Pow(10, d)
			line(base, true, true)
			if d < p.v1 {
				line(2*base, false, false)
				line(5*base, false, false)
			}
		}
	} else {
		step := niceCeil((p.v1 - p.v0) / 5)
		for v := p.v0; v <= p.v1+1e-9; v += step {
			line(v, true, v == p.v0)
		}
	}
	p.printf(`<text x="14" y="%s" transform="rotate(-90 14 %s)" text-anchor="middle" fill="#555" font-size="11">%s</text>`,
		num((p.top+p.height-p.bottom)/2), num((p.top+p.height-p.bottom)/2), esc(unit))
}

// stepLine draws one value per one-second window as a step line over
// [t, t+1): a window's value holds for the whole window. Windows marked
// missing leave a gap.
func (p *plot) stepLine(ts []float64, vs []float64, missing []bool, colour string, width float64, dash string) {
	var d strings.Builder
	pen := false
	for i := range ts {
		if missing[i] {
			pen = false
			continue
		}
		x0, x1, y := p.x(ts[i]), p.x(ts[i]+1), p.y(vs[i])
		if pen {
			fmt.Fprintf(&d, "L%s %sL%s %s", num(x0), num(y), num(x1), num(y))
		} else {
			fmt.Fprintf(&d, "M%s %sL%s %s", num(x0), num(y), num(x1), num(y))
		}
		pen = true
	}
	if d.Len() == 0 {
		return
	}
	attr := ""
	if dash != "" {
		attr = fmt.Sprintf(` stroke-dasharray="%s"`, dash)
	}
	p.printf(`<path d="%s" fill="none" stroke="%s" stroke-width="%s" stroke-linejoin="round"%s/>`, d.String(), colour, num(width), attr)
}

// legend writes coloured keys in a row under the title. Each entry is a
// colour, a line style and a label.
func (p *plot) legend(entries []legendEntry) {
	x, y := p.left, 34.0
	for _, e := range entries {
		switch e.kind {
		case "box":
			p.printf(`<rect x="%s" y="%s" width="18" height="10" fill="%s" fill-opacity="%s"/>`, num(x), num(y-9), e.colour, e.opacity)
		default:
			dash := ""
			if e.kind == "dash" {
				dash = ` stroke-dasharray="5 3"`
			} else if e.kind == "dot" {
				dash = ` stroke-dasharray="1 3"`
			}
			p.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2"%s/>`, num(x), num(y-4), num(x+18), num(y-4), e.colour, dash)
		}
		p.printf(`<text x="%s" y="%s" fill="#333" font-size="11">%s</text>`, num(x+22), num(y), esc(e.label))
		x += 6.2*float64(len([]rune(e.label))) + 40
	}
}

type legendEntry struct {
	kind    string // line, dash, dot or box
	colour  string
	opacity string // of a box
	label   string
}
