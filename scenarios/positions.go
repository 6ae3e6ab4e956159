package scenarios

// The SQLPos methods let the schema loader and the migration runner report
// a server error at the line and column of the file the user edits:
// split the text with SplitStatements, add the statement's Offset to
// pgsql.ByteOffset(stmt.SQL, pgErr.Position), and map the sum. They return a zero
// Pos for scenarios that were not loaded from YAML.

// SchemaPos maps a byte offset in SchemaSQL to SchemaFile (schema.file, or the
// scenario file for inline sql), or to the migration file it came from.
func (s *Scenario) SchemaPos(offset int) Pos {
	if pos, ok := s.baselinePos(offset); ok {
		return pos
	}
	return s.schemaSrc.pos(s.SchemaSQL, offset)
}

// SQLPos maps a byte offset in the step's SQL to the scenario file.
func (s *Step) SQLPos(offset int) Pos { return s.src.pos(s.SQL, offset) }

// SQLPos maps a byte offset in the batch's SQL to the scenario file.
func (b *Batch) SQLPos(offset int) Pos { return b.src.pos(b.SQL, offset) }

// SQLPos maps a byte offset in the query's SQL to the scenario file.
func (q *Query) SQLPos(offset int) Pos { return q.src.pos(q.SQL, offset) }
