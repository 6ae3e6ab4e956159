package datagen

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// ttyInterval is the least time between two rewrites of a terminal line.
const ttyInterval = 200 * time.Millisecond

// progress writes load progress for one table at a time. Its methods are safe
// for concurrent use and do nothing when w is nil.
type progress struct {
	w   io.Writer
	tty bool

	mu        sync.Mutex
	table     string
	total     int64
	done      int64
	start     time.Time
	lastWrite time.Time
	nextTenth int64 // the next 10% step to report when not on a terminal
	lastLen   int   // length of the terminal line, to blank a longer old one
}

func newProgress(w io.Writer, tty bool) *progress { return &progress{w: w, tty: tty} }

func (p *progress) begin(table string, total int64) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.table, p.total, p.done = table, total, 0
	p.start, p.lastWrite = time.Now(), time.Time{}
	p.nextTenth, p.lastLen = 1, 0
}

// add counts n more rows loaded.
func (p *progress) add(n int64) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	if p.tty {
		if time.Since(p.lastWrite) >= ttyInterval {
			p.writeLine(false)
		}
		return
	}
	if p.total > 0 && p.done < p.total && p.done*10 >= p.nextTenth*p.total {
		p.writeLine(false)
		p.nextTenth = p.done*10/p.total + 1
	}
}

// end writes the table's final line.
func (p *progress) end() {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.writeLine(true)
}

func (p *progress) writeLine(final bool) {
	now := time.Now()
	p.lastWrite = now
	elapsed := now.Sub(p.start)
	rate := 0.0
	if elapsed > 0 {
		rate = float64(p.done) / elapsed.Seconds()
	}
	pct := 100.0
	if p.total > 0 {
		pct = float64(p.done) * 100 / float64(p.total)
	}
	line := fmt.Sprintf("%s: %d/%d rows (%.0f%%), %.0f rows/s", p.table, p.done, p.total, pct, rate)
	if final {
		line += fmt.Sprintf(", %s", elapsed.Round(time.Millisecond))
	}
	if !p.tty {
		fmt.Fprintln(p.w, line)
		return
	}
	pad := ""
	if len(line) < p.lastLen {
		pad = strings.Repeat(" ", p.lastLen-len(line))
	}
	p.lastLen = len(line)
	end := ""
	if final {
		end = "\n"
	}
	fmt.Fprintf(p.w, "\r%s%s%s", line, pad, end)
}
