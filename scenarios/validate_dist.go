package scenarios

import (
	"math"
	"slices"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/rehearse/rehearse/internal/pgsql"
)

// DistNames are the distributions of ValueSpec.Dist, which datagen
// implements. It must not be modified.
var DistNames = []string{"uniform", "zipf", "normal", "sequential", "hot", "recent", DistStats}

// VacuumModes are the values of Data.Vacuum. It must not be modified.
var VacuumModes = []string{"freeze", "plain", "none"}

// checkSettle checks data.vacuum.
func (c *checker) checkSettle() {
	if v := c.s.Data.Vacuum; v != "" && !slices.Contains(VacuumModes, v) {
		c.addf(root().key("data").key("vacuum"), "unknown mode %q: use freeze (VACUUM (FREEZE), the default), plain or none%s",
			v, didYouMean(v, VacuumModes))
	}
}

// inTraffic reports whether a value spec is a query argument rather than a
// loaded column.
func inTraffic(p keyPath) bool { return len(p) > 0 && p[0].key == "traffic" }

// checkDist checks a value spec's distribution and unique: which
// generators take them, and their parameters' ranges.
func (c *checker) checkDist(p keyPath, v *ValueSpec) {
	c.checkArray(p, v)
	if v.Unique {
		switch {
		case inTraffic(p):
			c.addf(p.key("unique"), "applies to loaded columns only, not query arguments")
		case v.Value != nil:
			c.addf(p.key("unique"), "a constant (value:) cannot be unique")
		}
	}
	dist := v.Dist
	if dist == "" && v.Hot != nil {
		dist = "hot"
	}
	if dist == "" {
		c.rejectDistParams(p, v, "")
		return
	}
	if !slices.Contains(DistNames, dist) {
		c.addf(p.key("dist"), "unknown distribution %q%s; known: %s", dist, didYouMean(dist, DistNames), strings.Join(DistNames, ", "))
		return
	}
	c.checkDistSource(p, v, dist)
	c.rejectDistParams(p, v, dist)
	if v.Unique && dist != "uniform" && dist != "sequential" {
		c.addf(p.key("unique"), "unique values cannot follow dist %s; use uniform or sequential", dist)
	}
	switch dist {
	case "zipf":
		if e := v.Exponent; e != nil && (!(*e > 0) || *e > 100) {
			c.addf(p.key("exponent"), "must be > 0 and at most 100 (1 is classic Zipf), got %s", num(*e))
		}
	case "recent":
		if e := v.Exponent; e != nil && (!(*e >= 0) || *e > 100) {
			c.addf(p.key("exponent"), "must be between 0 (no skew) and 100, got %s", num(*e))
		}
	case "normal":
		if m := v.Mean; m != nil && (math.IsNaN(*m) || math.IsInf(*m, 0)) {
			c.addf(p.key("mean"), "must be a number, got %s", num(*m))
		}
		if s := v.StdDev; s != nil && (!(*s > 0) || math.IsInf(*s, 0)) {
			c.addf(p.key("stddev"), "must be > 0, got %s", num(*s))
		}
	case "hot":
		if h := v.Hot; h != nil {
			if !(h.Keys > 0 && h.Keys < 1) {
				c.addf(p.key("hot").key("keys"), "must be between 0 and 1 (the share of keys that are hot, such as 0.01), got %s", num(h.Keys))
			}
			if !(h.Share >= 0 && h.Share <= 1) {
				c.addf(p.key("hot").key("share"), "must be between 0 and 1 (the share of draws on the hot keys, such as 0.9), got %s", num(h.Share))
			}
		}
	}
}

// checkDistSource checks that the spec's source has ordered values for the
// distribution to shape.
func (c *checker) checkDistSource(p keyPath, v *ValueSpec, dist string) {
	dp := p.key("dist")
	if v.Dist == "" { // implied by hot
		dp = p.key("hot")
	}
	if dist == DistStats {
		c.checkStatsDist(p, v)
		return
	}
	switch {
	case v.Ref != "":
		if dist == "recent" {
			c.addf(dp, "recent applies to dates (gen: date) only")
		}
	case v.Gen != "":
		info, known := Generators[v.Gen]
		switch {
		case !known: // reported with gen
		case dist == "recent" && !info.Dates:
			c.addf(dp, "recent applies to dates (gen: date) only")
		case !info.Range && !info.Dates && dist != "uniform":
			c.addf(dp, "gen: %s has no order to shape; dist applies to number, price, date and ref", v.Gen)
		}
	case dist != "uniform":
		c.addf(dp, "a constant (value:) has no distribution; dist applies to number, price, date and ref")
	}
}

// rejectDistParams reports parameters that the distribution does not take.
func (c *checker) rejectDistParams(p keyPath, v *ValueSpec, dist string) {
	if v.Exponent != nil && dist != "zipf" && dist != "recent" {
		c.addf(p.key("exponent"), "applies to dist zipf and recent only")
	}
	if v.Mean != nil && dist != "normal" {
		c.addf(p.key("mean"), "applies to dist normal only")
	}
	if v.StdDev != nil && dist != "normal" {
		c.addf(p.key("stddev"), "applies to dist normal only")
	}
	if v.Hot != nil && dist != "hot" {
		c.addf(p.key("hot"), "applies to dist hot only (and implies it): remove dist: %s or hot", dist)
	}
}

// schemaFills reports whether the baseline schema itself puts rows in a
// table (INSERT or COPY), so that a ref to it has keys without data.tables.
func (c *checker) schemaFills(table string) bool {
	tree, err := pgsql.Parse(c.s.SchemaSQL)
	if err != nil {
		return false
	}
	for _, raw := range tree.GetStmts() {
		n := raw.GetStmt()
		var rv *pg_query.RangeVar
		switch {
		case n.GetInsertStmt() != nil:
			rv = n.GetInsertStmt().GetRelation()
		case n.GetCopyStmt() != nil && n.GetCopyStmt().GetIsFrom():
			rv = n.GetCopyStmt().GetRelation()
		}
		if rv != nil && normalizeTable(rangeVarName(rv)) == normalizeTable(table) {
			return true
		}
	}
	return false
}
