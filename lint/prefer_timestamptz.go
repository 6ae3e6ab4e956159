package lint

// checkPreferTimestamptz (style, off by default) flags timestamp without
// time zone.
func checkPreferTimestamptz(l *linter, s *stepState) {
	styleColumns(l, s, RulePreferTimestamptz, map[string]string{"timestamp": "timestamp without time zone"},
		"use timestamptz: it stores an instant, and changing the type later rewrites the table (unless the session's TimeZone is UTC).")
}
