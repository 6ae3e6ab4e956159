package datagen

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// ttyInterval is the least time between two redraws of the bars.
const ttyInterval = 200 * time.Millisecond

// progress reports a load: on a terminal, a bar per table loading (drawn
// by progressbar, laid out here so that several tables can show at once)
// with phase lines above; otherwise plain lines at every 10% of a table.
// Its methods are safe for concurrent use and do nothing when w is nil.
type progress struct {
	w   io.Writer
	tty bool

	mu       sync.Mutex
	bars     []*tableBar // on screen, in the order they began
	drawn    int         // lines of bars drawn last time
	lastDraw time.Time
}

// tableBar is one table's progress.
type tableBar struct {
	name      string
	total     int64
	done      int64
	start     time.Time
	nextTenth int64
	finished  bool
	bar       *progressbar.ProgressBar
}

func newProgress(w io.Writer, tty bool) *progress { return &progress{w: w, tty: tty} }

// begin starts a table's bar; nil when progress is off.
func (p *progress) begin(table string, total int64) *tableBar {
	if p.w == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	b := &tableBar{name: table, total: total, start: time.Now(), nextTenth: 1}
	if p.tty {
		b.bar = progressbar.NewOptions64(max(total, 1),
			progressbar.OptionSetWriter(io.Discard), // drawn by redraw, with the other tables' bars
			progressbar.OptionSetDescription(table),
			progressbar.OptionSetWidth(24),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("rows"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(0),
			progressbar.OptionSetRenderBlankState(true),
		)
		p.bars = append(p.bars, b)
		p.redraw(true)
	}
	return b
}

// add counts n more rows of b loaded.
func (p *progress) add(b *tableBar, n int64) {
	if b == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	b.done += n
	if p.tty {
		b.bar.Add64(n)
		p.redraw(false)
		return
	}
	if b.total > 0 && b.done < b.total && b.done*10 >= b.nextTenth*b.total {
		fmt.Fprintln(p.w, b.line(false))
		b.nextTenth = b.done*10/b.total + 1
	}
}

// end marks b's table loaded.
func (p *progress) end(b *tableBar) {
	if b == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	b.finished = true
	if !p.tty {
		fmt.Fprintln(p.w, b.line(true))
		return
	}
	b.bar.Finish()
	p.redraw(true)
	for _, other := range p.bars {
		if !other.finished {
			return
		}
	}
	// Every bar is complete: they stay on screen as they are, and what
	// comes next is written below them.
	p.bars, p.drawn = nil, 0
}

// logf writes a line; on a terminal above the bars in progress.
func (p *progress) logf(format string, args ...any) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		p.clear()
		fmt.Fprintf(p.w, format+"\n", args...)
		p.redraw(true)
		return
	}
	fmt.Fprintf(p.w, format+"\n", args...)
}

func (b *tableBar) line(final bool) string {
	elapsed := time.Since(b.start)
	rate := 0.0
	if elapsed > 0 {
		rate = float64(b.done) / elapsed.Seconds()
	}
	pct := 100.0
	if b.total > 0 {
		pct = float64(b.done) * 100 / float64(b.total)
	}
	line := fmt.Sprintf("%s: %d/%d rows (%.0f%%), %.0f rows/s", b.name, b.done, b.total, pct, rate)
	if final {
		line += fmt.Sprintf(", %s", elapsed.Round(time.Millisecond))
	} else if rate > 0 {
		line += fmt.Sprintf(", %s left", (time.Duration(float64(b.total-b.done)/rate) * time.Second).Round(time.Second))
	}
	return line
}

// clear moves the cursor up over the bars drawn and blanks their lines.
func (p *progress) clear() {
	if p.drawn > 0 {
		fmt.Fprintf(p.w, "\x1b[%dA", p.drawn)
	}
	for range p.drawn {
		fmt.Fprint(p.w, "\x1b[2K\n")
	}
	if p.drawn > 0 {
		fmt.Fprintf(p.w, "\x1b[%dA", p.drawn)
	}
	p.drawn = 0
}

// redraw rewrites the bars in place, at most every ttyInterval unless forced.
func (p *progress) redraw(force bool) {
	if !force && time.Since(p.lastDraw) < ttyInterval {
		return
	}
	p.lastDraw = time.Now()
	var b strings.Builder
	if p.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", p.drawn)
	}
	for _, bar := range p.bars {
		b.WriteString("\r\x1b[2K")
		b.WriteString(strings.TrimLeft(bar.bar.String(), "\r"))
		b.WriteByte('\n')
	}
	p.drawn = len(p.bars)
	io.WriteString(p.w, b.String())
}
