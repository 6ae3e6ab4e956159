package scenarios

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"

	"github.com/rehearse/rehearse/internal/pgsql"
)

// keyPath is a path to a value in the scenario: map keys and list indexes.
// It is kept as segments rather than a string because table and setting
// names may contain dots.
type keyPath []pathSeg

type pathSeg struct {
	key   string
	index int // -1 for a map key
}

func root() keyPath { return nil }

// key returns a new path with a map key appended; the receiver is never shared.
func (p keyPath) key(k string) keyPath {
	out := make(keyPath, len(p), len(p)+1)
	copy(out, p)
	return append(out, pathSeg{key: k, index: -1})
}

func (p keyPath) idx(i int) keyPath {
	out := make(keyPath, len(p), len(p)+1)
	copy(out, p)
	return append(out, pathSeg{index: i})
}

// String formats the path as users write it: traffic.old.queries[1].weight.
func (p keyPath) String() string {
	var b strings.Builder
	for _, s := range p {
		if s.index >= 0 {
			fmt.Fprintf(&b, "[%d]", s.index)
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.key)
	}
	return b.String()
}

// document is the parsed YAML of a scenario, kept to locate problems.
type document struct {
	name  string   // file name used in messages
	lines []string // source lines, to map SQL offsets in block scalars
	body  ast.Node
}

func newDocument(name string, src []byte, body ast.Node) *document {
	return &document{name: name, lines: strings.Split(string(src), "\n"), body: body}
}

// file returns the name used in messages; nil-safe.
func (d *document) file() string {
	if d == nil {
		return ""
	}
	return d.name
}

// found is the result of following a keyPath through the AST.
type found struct {
	node     ast.Node // deepest node reached (the value when complete)
	key      ast.Node // key node of node when it was reached through a map key
	complete bool     // the whole path exists
}

// lookup follows p as far as the AST allows.
func (d *document) lookup(p keyPath) found {
	if d == nil || d.body == nil {
		return found{}
	}
	f := found{node: unwrap(d.body), complete: true}
	for _, seg := range p {
		key, next := child(f.node, seg)
		if next == nil {
			f.complete = false
			return f
		}
		f.node, f.key = unwrap(next), key
	}
	return f
}

// child returns the key node and value of one step into n, or nil.
func child(n ast.Node, seg pathSeg) (ast.Node, ast.Node) {
	if seg.index >= 0 {
		seq, ok := n.(*ast.SequenceNode)
		if !ok || seg.index >= len(seq.Values) {
			return nil, nil
		}
		return nil, seq.Values[seg.index]
	}
	for _, mv := range mappingValues(n) {
		if k, ok := keyString(mv.Key); ok && k == seg.key {
			return mv.Key, valueOrNull(mv)
		}
	}
	return nil, nil
}

// valueOrNull never returns nil for a present key, so that presence and
// absence stay distinguishable.
func valueOrNull(mv *ast.MappingValueNode) ast.Node {
	if mv.Value == nil {
		return mv
	}
	return mv.Value
}

// has reports whether the user wrote a non-null value at p.
func (d *document) has(p keyPath) bool {
	f := d.lookup(p)
	if !f.complete {
		return false
	}
	_, isNull := f.node.(*ast.NullNode)
	return !isNull
}

// pos returns the position for a problem at p: the value itself when it is
// a scalar, the key of a collection (a mapping starts on the next line), or
// the nearest existing parent when p is absent.
func (d *document) pos(p keyPath) (line, col int) {
	f := d.lookup(p)
	if f.node == nil {
		return 0, 0
	}
	if f.key != nil && (!f.complete || isCollection(f.node) || isNullNode(f.node)) {
		return tokenPos(f.key.GetToken())
	}
	return nodePos(f.node)
}

// keyPos returns the position of the key at the end of p, for problems about
// the key itself (unknown table, duplicate name).
func (d *document) keyPos(p keyPath) (line, col int) {
	f := d.lookup(p)
	if f.complete && f.key != nil {
		return tokenPos(f.key.GetToken())
	}
	return d.pos(p)
}

func isCollection(n ast.Node) bool {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode, *ast.SequenceNode:
		return true
	}
	return false
}

func isNullNode(n ast.Node) bool {
	_, ok := n.(*ast.NullNode)
	return ok
}

// nodePos is where a node starts as the user sees it. A block mapping's own
// token is its first ':', so its first key is used instead.
func nodePos(n ast.Node) (line, col int) {
	if m, ok := n.(*ast.MappingNode); ok && !m.IsFlowStyle && len(m.Values) > 0 {
		return nodePos(m.Values[0])
	}
	if mv, ok := n.(*ast.MappingValueNode); ok && mv.Key != nil {
		return tokenPos(mv.Key.GetToken())
	}
	return tokenPos(n.GetToken())
}

func tokenPos(tk *token.Token) (line, col int) {
	if tk == nil || tk.Position == nil {
		return 0, 0
	}
	return tk.Position.Line, tk.Position.Column
}

// unwrap looks through tags and anchors to the value they decorate.
func unwrap(n ast.Node) ast.Node {
	for {
		switch v := n.(type) {
		case *ast.TagNode:
			n = v.Value
		case *ast.AnchorNode:
			n = v.Value
		default:
			return n
		}
	}
}

// mappingValues returns the entries of a mapping node, or nil.
func mappingValues(n ast.Node) []*ast.MappingValueNode {
	switch m := n.(type) {
	case *ast.MappingNode:
		return m.Values
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{m}
	}
	return nil
}

// keyString returns a mapping key as text; false for merge keys and
// non-scalar keys.
func keyString(k ast.MapKeyNode) (string, bool) {
	var n ast.Node = k
	if mk, ok := n.(*ast.MappingKeyNode); ok {
		n = mk.Value
	}
	n = unwrap(n)
	switch v := n.(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.MergeKeyNode:
		return "", false
	case ast.ScalarNode:
		return fmt.Sprint(v.GetValue()), true
	}
	return "", false
}

// pathOf finds the key path of the node holding tk, for decoder errors that
// only carry a token.
func (d *document) pathOf(tk *token.Token) (keyPath, bool) {
	if d == nil || d.body == nil || tk == nil {
		return nil, false
	}
	return findToken(d.body, tk, root())
}

func findToken(n ast.Node, tk *token.Token, p keyPath) (keyPath, bool) {
	if n == nil {
		return nil, false
	}
	if n.GetToken() == tk {
		return p, true
	}
	switch v := unwrap(n).(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		for _, mv := range mappingValues(v) {
			k, _ := keyString(mv.Key)
			if mv.Key != nil && mv.Key.GetToken() == tk {
				return p.key(k), true
			}
			if got, ok := findToken(mv.Value, tk, p.key(k)); ok {
				return got, true
			}
		}
	case *ast.SequenceNode:
		for i, e := range v.Values {
			if got, ok := findToken(e, tk, p.idx(i)); ok {
				return got, true
			}
		}
	default:
		if unwrap(n).GetToken() == tk {
			return p, true
		}
	}
	return nil, false
}

// describe names a YAML value for "expected X, got Y" messages.
func describe(n ast.Node) string {
	switch v := unwrap(n).(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.LiteralNode:
		return "a text block"
	case *ast.NullNode:
		return "nothing"
	case *ast.StringNode:
		return strconv.Quote(truncate(v.Value, 40))
	case nil:
		return "nothing"
	default:
		if tk := v.GetToken(); tk != nil {
			return truncate(tk.Value, 40)
		}
		return v.Type().YAMLName()
	}
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// sqlSource returns how offsets in the SQL text at p map to the scenario file.
func (d *document) sqlSource(p keyPath) textSource {
	f := d.lookup(p)
	if !f.complete || f.node == nil {
		line, col := d.pos(p)
		return textSource{file: d.file(), line: line, col: col}
	}
	line, col := nodePos(f.node)
	src := textSource{file: d.file(), line: line, col: col}
	switch v := f.node.(type) {
	case *ast.LiteralNode:
		if v.Start != nil && v.Start.Type == token.LiteralType {
			src.mode = literalBlock
			src.line++ // content starts on the line after the '|' header
			src.doc = d
		}
	case *ast.StringNode:
		if !strings.Contains(v.Value, "\n") && line > 0 && line <= len(d.lines) {
			src.mode = singleLine
			if v.Token.Type == token.DoubleQuoteType || v.Token.Type == token.SingleQuoteType {
				src.col++ // skip the opening quote
			}
		}
	}
	return src
}

// textSource maps byte offsets in a text (a SQL string of the scenario) to
// positions in the file the text came from.
type textSource struct {
	file      string
	line, col int // where the text starts
	mode      sourceMode
	doc       *document // the file's lines, for literalBlock; a pointer keeps Step comparable
}

type sourceMode int

const (
	// fixed: every offset maps to the start (folded or multi-line scalars,
	// where lines do not correspond one to one).
	fixed sourceMode = iota
	// singleLine: a one-line scalar; the column shifts with the offset.
	singleLine
	// literalBlock: a '|' block scalar or a whole file; text lines map one to
	// one onto file lines, each shifted by its indentation.
	literalBlock
)

// pos maps a byte offset in text to a position in the source file.
func (s textSource) pos(text string, offset int) Pos {
	if s.line == 0 {
		return Pos{File: s.file}
	}
	l, c := pgsql.LineCol(text, offset)
	switch {
	case s.mode == singleLine && l == 1:
		return Pos{File: s.file, Line: s.line, Col: s.col + c - 1}
	case s.mode == literalBlock:
		return Pos{File: s.file, Line: s.line + l - 1, Col: s.indent(text, l) + c}
	}
	return Pos{File: s.file, Line: s.line, Col: s.col}
}

// indent returns how many characters precede text line l (1-based) in the
// file: the block's indentation, found by comparing the two lines.
func (s textSource) indent(text string, l int) int {
	if s.doc == nil {
		return s.col - 1
	}
	lines := s.doc.lines
	fileLine := s.line + l - 2 // 0-based index into lines
	textLines := strings.Split(text, "\n")
	if fileLine < 0 || fileLine >= len(lines) || l-1 >= len(textLines) {
		return 0
	}
	n := utf8.RuneCountInString(strings.TrimRight(lines[fileLine], "\r")) -
		utf8.RuneCountInString(textLines[l-1])
	if n < 0 || textLines[l-1] == "" {
		return firstIndent(lines, fileLine)
	}
	return n
}

// firstIndent is the indentation of the first non-blank block line from i
// on, used for blank lines where the comparison above says nothing.
func firstIndent(lines []string, i int) int {
	for ; i < len(lines); i++ {
		t := strings.TrimLeft(lines[i], " ")
		if strings.TrimSpace(t) != "" {
			return len(lines[i]) - len(t)
		}
	}
	return 0
}
