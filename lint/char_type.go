package lint

// checkCharType (style, off by default) flags char(n) columns.
func checkCharType(l *linter, s *stepState) {
	styleColumns(l, s, RuleCharType, map[string]string{"bpchar": "char(n)", "char": "char(n)"},
		"use text or varchar: char(n) pads values with spaces, compares ignoring them and is no faster.")
}
