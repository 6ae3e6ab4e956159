package scenarios

import (
	"maps"
	"math"
	"slices"
)

// checkSweep validates data.sweep: sizes to scale data.tables to, so there
// must be tables with rows to scale.
func (c *checker) checkSweep() {
	sw := c.s.Data.Sweep
	if sw == nil {
		return
	}
	p := root().key("data").key("sweep")
	switch {
	case c.s.Data.FromExisting():
		c.addKeyf(p, "a sweep scales generated data; data.from: existing has none to scale")
		return
	case c.s.Data.LargestTable() == "":
		c.addKeyf(p, "a sweep scales data.tables (or data.profile's tables), and none has rows")
		return
	case len(sw.Sizes) < 2:
		c.addf(p.key("sizes"), "give at least 2 sizes (3 or more to extrapolate), got %d", len(sw.Sizes))
	}
	for i, n := range sw.Sizes {
		switch {
		case n < 1:
			c.addf(p.key("sizes").idx(i), "must be at least 1 row, got %d", n)
		case n > MaxRows:
			c.addf(p.key("sizes").idx(i), "must be at most %d, got %d", int64(MaxRows), n)
		case i > 0 && n <= sw.Sizes[i-1]:
			c.addf(p.key("sizes").idx(i), "sizes go smallest first, each larger than the one before (%d after %d)", n, sw.Sizes[i-1])
		}
	}
	if sw.At < 0 || (sw.At > 0 && len(sw.Sizes) > 0 && sw.At < slices.Max(sw.Sizes)) {
		c.addf(p.key("at"), "the production size must be at least the largest size swept (%d), got %d", slices.Max(sw.Sizes), sw.At)
	}
}

// LargestTable is the table of Tables with the most rows (by name on a
// tie), or "" when none has rows. A size sweep scales the others to it.
func (d Data) LargestTable() string {
	var name string
	var most Count
	for _, key := range slices.Sorted(maps.Keys(d.Tables)) {
		if t := d.Tables[key]; t != nil && t.Rows > most {
			name, most = key, t.Rows
		}
	}
	return name
}

// ProductionRows is the profile's row count of table (before data.scale),
// or 0 when there is no profile or it does not list the table.
func (d Data) ProductionRows(table string) int64 {
	if d.ProfileData == nil {
		return 0
	}
	for _, t := range d.ProfileData.Tables {
		if normalizeTable(t.Name) == normalizeTable(table) {
			return int64(math.Round(max(t.Rows, 0)))
		}
	}
	return 0
}
