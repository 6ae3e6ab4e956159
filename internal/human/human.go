// Package human writes numbers, byte counts, durations and statements the
// way every report and progress line of rehearse shows them, so that one
// figure reads the same in the terminal, the Markdown sign-off and the logs.
package human

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Count writes n with comma separators: 1,000,000.
func Count(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Bytes writes n in binary units, with one decimal below 10 units: 512 B,
// 3.2 MiB, 117 MiB.
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, exp := float64(n)/unit, 0
	for v >= unit && exp < 5 {
		v /= unit
		exp++
	}
	if v < 10 {
		return fmt.Sprintf("%.1f %ciB", v, "KMGTPE"[exp])
	}
	return fmt.Sprintf("%.0f %ciB", v, "KMGTPE"[exp])
}

// MS writes a duration given in milliseconds: 0.42ms, 12ms, 1.53s, 2m05s.
func MS(ms float64) string {
	switch {
	case ms < 10:
		return fmt.Sprintf("%.2fms", ms)
	case ms < 1000:
		return fmt.Sprintf("%.0fms", ms)
	case ms < 60000:
		return fmt.Sprintf("%.2fs", ms/1000)
	default:
		s := int(ms / 1000)
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	}
}

// Clip puts s on one line (runs of white space become one space) and
// shortens it to at most n characters, the last of them "…" when cut.
func Clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if n <= 0 || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// RowsRead says how many rows sequential scans read and, when there was more
// than one pass (an index build reads its table again), in how many: the
// rows then exceed the table's size.
func RowsRead(rows, passes int64) string {
	if passes > 1 {
		return fmt.Sprintf("%s rows read in %d passes", Count(rows), passes)
	}
	return Count(rows) + " rows read"
}
