package lint

import (
	"fmt"

	"github.com/rehearse/rehearse/internal/human"
	"github.com/rehearse/rehearse/scenarios"
)

// TableSize is what a profile or the database says of a table's size.
type TableSize struct {
	Rows  int64
	Bytes int64
}

// WithSizes gives the tables' sizes (from a profile or the database, by
// relation name as findings use it). The findings whose time grows with a
// table (scans, rewrites, index builds) then carry its size, and their
// severity follows it: info under 10,000 rows and 10 MB, warning under
// 1,000,000 rows and 1 GB, the rule's own above.
func WithSizes(sizes map[string]TableSize) Option {
	return func(o *options) { o.sizes = sizes }
}

// SizesFromProfile reads the tables' sizes from a profile (rehearse
// profile): the planner's row estimate and relpages times the block size.
func SizesFromProfile(p *scenarios.Profile) map[string]TableSize {
	sizes := map[string]TableSize{}
	for _, t := range p.Tables {
		block := t.BlockSize
		if block == 0 {
			block = 8192
		}
		sizes[t.Name] = TableSize{Rows: int64(max(t.Rows, 0)), Bytes: t.Pages * block}
	}
	return sizes
}

// Size thresholds of the severity of a finding about slow work.
const (
	smallRows, smallBytes   = 10_000, 10 << 20
	mediumRows, mediumBytes = 1_000_000, 1 << 30
)

// sizeSeverity is the most a finding about slow work on a table of this
// size can be.
func sizeSeverity(ts TableSize) Severity {
	switch {
	case ts.Rows < smallRows && ts.Bytes < smallBytes:
		return Info
	case ts.Rows < mediumRows && ts.Bytes < mediumBytes:
		return Warning
	}
	return Error
}

// applySizes puts the known sizes into the findings about slow work and
// caps their severity by size.
func applySizes(findings []Finding, sizes map[string]TableSize) {
	if sizes == nil {
		return
	}
	for i := range findings {
		f := &findings[i]
		ts, ok := sizes[f.Relation]
		if !ok || (f.Effect != EffectRewrite && f.Effect != EffectScan) {
			continue
		}
		f.Rows, f.Bytes, f.Sized = ts.Rows, ts.Bytes, true
		f.Severity = min(f.Severity, sizeSeverity(ts))
		f.Message += fmt.Sprintf(" (%s: %s rows, %s)", f.Relation, human.Count(ts.Rows), human.Bytes(ts.Bytes))
	}
}
