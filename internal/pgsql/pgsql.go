// Package pgsql reads SQL text with PostgreSQL's own parser (pg_query):
// statements split as the server splits them, positions as editors count
// them, parser errors with their line and column, and a walk over every
// node of a parse tree. Scenarios, lint and the step runner all read SQL
// through it.
package pgsql

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/pganalyze/pg_query_go/v6/parser"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Statement is one SQL statement of a larger text.
type Statement struct {
	// SQL is the statement without the terminating semicolon, leading
	// comments and surrounding white space.
	SQL string
	// Offset is the byte offset of SQL's first character in the input.
	Offset int
	// Line and Col are the 1-based position of SQL's first character in the
	// input; Col counts characters.
	Line, Col int
}

// SQLError is a PostgreSQL parser error in a SQL text.
type SQLError struct {
	// Msg is the parser's message, such as `syntax error at or near "SELEC"`.
	Msg string
	// Offset is the byte offset of the error in the text; -1 when unknown.
	Offset int
	// Line and Col are the 1-based position of Offset (Col in characters);
	// 0 when unknown.
	Line, Col int
}

// Error formats the error as "LINE:COL: msg" relative to the parsed text.
func (e *SQLError) Error() string {
	if e.Line == 0 {
		return e.Msg
	}
	return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg)
}

// Split splits sql into statements with PostgreSQL's own parser, so
// that dollar-quoted function bodies, DO blocks and BEGIN ATOMIC bodies stay
// whole. Empty statements and comment-only remainders are dropped. A text
// that does not parse yields a *SQLError.
func Split(sql string) ([]Statement, error) {
	tree, err := Parse(sql)
	if err != nil {
		return nil, err
	}
	return Statements(sql, tree), nil
}

// Statements returns the statements of a text and its parse tree, as Split does.
func Statements(sql string, tree *pg_query.ParseResult) []Statement {
	var out []Statement
	for _, raw := range tree.GetStmts() {
		start, end := stmtRange(sql, raw)
		start = SkipSpaceAndComments(sql, start)
		if start >= end {
			continue
		}
		text := strings.TrimRightFunc(sql[start:end], unicode.IsSpace)
		line, col := LineCol(sql, start)
		out = append(out, Statement{SQL: text, Offset: start, Line: line, Col: col})
	}
	return out
}

// stmtRange returns the byte range of a raw statement; a zero length means
// "to the end of the text".
func stmtRange(sql string, raw *pg_query.RawStmt) (start, end int) {
	start = clamp(int(raw.GetStmtLocation()), 0, len(sql))
	end = len(sql)
	if n := int(raw.GetStmtLen()); n > 0 {
		end = clamp(start+n, start, len(sql))
	}
	return start, end
}

func clamp(v, lo, hi int) int {
	return max(lo, min(v, hi))
}

// StmtStart is the byte offset of a parsed statement's first character
// that is neither white space nor a comment: where an editor should point.
func StmtStart(sql string, raw *pg_query.RawStmt) int {
	start, _ := stmtRange(sql, raw)
	return SkipSpaceAndComments(sql, start)
}

// SkipSpaceAndComments returns the offset of the first character at or after
// i that is neither white space nor inside a comment. Block comments nest in
// PostgreSQL.
func SkipSpaceAndComments(s string, i int) int {
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case unicode.IsSpace(r):
			i += size
		case strings.HasPrefix(s[i:], "--"):
			nl := strings.IndexByte(s[i:], '\n')
			if nl < 0 {
				return len(s)
			}
			i += nl + 1
		case strings.HasPrefix(s[i:], "/*"):
			i = skipBlockComment(s, i)
		default:
			return i
		}
	}
	return i
}

func skipBlockComment(s string, i int) int {
	depth := 0
	for i < len(s) {
		switch {
		case strings.HasPrefix(s[i:], "/*"):
			depth++
			i += 2
		case strings.HasPrefix(s[i:], "*/"):
			depth--
			i += 2
			if depth == 0 {
				return i
			}
		default:
			i++
		}
	}
	return len(s)
}

// LineCol returns the 1-based line and column of a byte offset in text. The
// column counts characters (runes), as editors do. Offsets outside text are
// clamped to it.
func LineCol(text string, offset int) (line, col int) {
	offset = clamp(offset, 0, len(text))
	before := text[:offset]
	line = 1 + strings.Count(before, "\n")
	lineStart := strings.LastIndexByte(before, '\n') + 1
	col = 1 + utf8.RuneCountInString(before[lineStart:])
	return line, col
}

// ByteOffset converts a PostgreSQL error position (1-based, counted in
// characters, as in pgconn.PgError.Position and the parser's cursor) into a
// byte offset in text, for LineCol. Positions outside text are clamped.
func ByteOffset(text string, position int) int {
	if position <= 1 {
		return 0
	}
	n := 0
	for i := range text {
		n++
		if n == position {
			return i
		}
	}
	return len(text)
}

// Parse parses sql, turning parser errors into *SQLError.
func Parse(sql string) (*pg_query.ParseResult, error) {
	tree, err := pg_query.Parse(sql)
	if err == nil {
		return tree, nil
	}
	var pe *parser.Error
	if !errors.As(err, &pe) {
		return nil, &SQLError{Msg: err.Error(), Offset: -1}
	}
	e := &SQLError{Msg: pe.Message, Offset: -1}
	if pe.Cursorpos > 0 {
		e.Offset = ByteOffset(sql, pe.Cursorpos)
		e.Line, e.Col = LineCol(sql, e.Offset)
	}
	return nil, e
}

// ParamNumbers returns the distinct $N placeholder numbers used in a parse
// tree, ascending.
func ParamNumbers(tree *pg_query.ParseResult) []int {
	seen := map[int]bool{}
	Walk(tree.ProtoReflect(), func(m protoreflect.Message) {
		if p, ok := m.Interface().(*pg_query.ParamRef); ok {
			seen[int(p.GetNumber())] = true
		}
	})
	out := make([]int, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

// Walk calls fn for m and every message nested in it: a way to
// visit every node of a pg_query parse tree.
func Walk(m protoreflect.Message, fn func(protoreflect.Message)) {
	fn(m)
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsMap() || fd.Message() == nil:
		case fd.IsList():
			list := v.List()
			for i := range list.Len() {
				Walk(list.Get(i).Message(), fn)
			}
		default:
			Walk(v.Message(), fn)
		}
		return true
	})
}
