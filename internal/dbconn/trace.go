package dbconn

import (
	"strings"

	"github.com/rehearse/rehearse/internal/human"
)

// traceMark opens the comment of the queries the migration runner sends
// between a step's statements to read its own locks and rewrites. Those
// queries are what pg_stat_activity shows for the migration session while
// it holds an earlier statement's locks, so a wait seen then would name
// them as its blocker; the comment carries the statement that holds the
// locks instead.
const traceMark = "/* rehearse:after "

// TraceComment is the comment to put before a trace query that follows
// stmt: stmt on one line, shortened, and unable to open a nested comment
// or close this one early (block comments nest in PostgreSQL).
func TraceComment(stmt string) string {
	s := strings.NewReplacer("/*", "/ *", "*/", "* /").Replace(human.Clip(stmt, 300))
	return traceMark + s + " */ "
}

// TracedStatement returns the statement a trace query's comment names,
// and false when query is not a trace query.
func TracedStatement(query string) (string, bool) {
	rest, ok := strings.CutPrefix(query, traceMark)
	if !ok {
		return "", false
	}
	stmt, _, ok := strings.Cut(rest, " */ ")
	return stmt, ok
}
