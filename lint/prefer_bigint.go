package lint

// checkPreferBigint (style, off by default) flags integer and smallint
// columns: ids and counters outgrow them, and widening later rewrites the
// table.
func checkPreferBigint(l *linter, s *stepState) {
	styleColumns(l, s, RulePreferBigint, map[string]string{"int4": "integer", "int2": "smallint", "serial": "serial (integer)",
		"serial4": "serial (integer)", "smallserial": "smallserial", "serial2": "smallserial"},
		"use bigint (or bigserial / bigint GENERATED ... AS IDENTITY): widening an integer column later rewrites the table under ACCESS EXCLUSIVE.")
}
