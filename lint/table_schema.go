package lint

// checkTableSchema (style, off by default) flags CREATE TABLE of a name
// without a schema: where it lands depends on search_path.
func checkTableSchema(l *linter, s *stepState) {
	cs := s.node.GetCreateStmt()
	if cs == nil || cs.GetRelation().GetSchemaname() != "" || cs.GetRelation().GetRelpersistence() == "t" {
		return
	}
	rel := relName(cs.GetRelation())
	l.note(s, RuleTableSchema, Info, rel, "CREATE TABLE "+rel+" names no schema: the table lands in the first schema of search_path.",
		"write the schema: CREATE TABLE public."+rel+".")
}
