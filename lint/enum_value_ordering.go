package lint

// checkEnumValueOrdering (style, off by default) flags ALTER TYPE ... ADD
// VALUE without BEFORE or AFTER: the value goes last, which changes what
// < and ORDER BY on the enum mean for it.
func checkEnumValueOrdering(l *linter, s *stepState) {
	ae := s.node.GetAlterEnumStmt()
	if ae == nil || ae.GetNewVal() == "" || ae.GetOldVal() != "" || ae.GetNewValNeighbor() != "" {
		return
	}
	typ := enumName(ae.GetTypeName())
	l.note(s, RuleEnumValueOrdering, Info, typ, "ALTER TYPE "+typ+" ADD VALUE '"+ae.GetNewVal()+"' puts the value last: comparisons and ORDER BY on "+typ+" sort it after every other.",
		"say where it goes: ADD VALUE '...' BEFORE '...' or AFTER '...'.")
}
