package scenarios

// DistStats draws a query argument from the rehearsal database's own
// statistics of the referenced column (pg_stats after the load's ANALYZE):
// the most common values at their frequencies, the rest along the
// histogram. Arguments of traffic.<workload>.from_profile use it.
const DistStats = "stats"

// MaxArray is the most values an array argument may hold.
const MaxArray = 1000

// checkStatsDist checks dist: stats, which reads pg_stats of a column at
// run time: a ref, in traffic.
func (c *checker) checkStatsDist(p keyPath, v *ValueSpec) {
	switch {
	case !inTraffic(p):
		c.addf(p.key("dist"), "stats applies to query arguments only: loaded data gets its shape from data.profile")
	case v.Ref == "":
		c.addf(p.key("dist"), "stats draws from a column's statistics: give ref table.column")
	}
	c.rejectDistParams(p, v, DistStats)
}

// checkArray checks array: a number of values, with dist: stats.
func (c *checker) checkArray(p keyPath, v *ValueSpec) {
	switch {
	case v.Array == 0:
	case v.Dist != DistStats:
		c.addf(p.key("array"), "applies to dist: stats only")
	case v.Array < 1 || v.Array > MaxArray:
		c.addf(p.key("array"), "must be between 1 and %d values, got %d", MaxArray, v.Array)
	}
}
