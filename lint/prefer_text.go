package lint

// checkPreferText (style, off by default) flags varchar(n) columns.
func checkPreferText(l *linter, s *stepState) {
	for _, c := range newColumns(s.node) {
		if baseType(c.def) == "varchar" && len(c.def.GetTypeName().GetTypmods()) > 0 {
			l.note(s, RulePreferText, Info, c.table, c.table+"."+c.def.GetColname()+" is varchar(n): shortening the limit later rewrites the table, and any change of it takes ACCESS EXCLUSIVE.",
				"use text, with a CHECK (length(col) <= n) NOT VALID constraint if a limit is needed: a CHECK can be replaced without a rewrite.")
		}
	}
}
