package scenarios

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// The shape check walks the YAML tree alongside the Go types before decoding.
// goccy's decoder stops at the first problem, reports custom unmarshaler
// errors without a position and silently truncates 1.5 into an integer; this
// pass finds every unknown key and wrong type at once, with positions and
// messages in the user's terms.

var interfaceUnmarshaler = reflect.TypeOf((*yaml.InterfaceUnmarshaler)(nil)).Elem()

type shapeChecker struct {
	d        *document
	anchors  map[string]ast.Node
	alias    ast.Node // the alias being checked through, if any: problems point at it
	problems []Problem
}

func checkShape(d *document, t reflect.Type) []Problem {
	sc := &shapeChecker{d: d, anchors: map[string]ast.Node{}}
	collectAnchors(d.body, sc.anchors)
	sc.check(d.body, t, root())
	return sc.problems
}

// collectAnchors maps anchor names to their values. A later anchor of the
// same name wins, which is only approximately YAML's rule; it only affects
// where a problem is reported.
func collectAnchors(n ast.Node, anchors map[string]ast.Node) {
	switch v := n.(type) {
	case *ast.AnchorNode:
		if name, ok := v.Name.(*ast.StringNode); ok {
			anchors[name.Value] = v.Value
		}
		collectAnchors(v.Value, anchors)
	case *ast.TagNode:
		collectAnchors(v.Value, anchors)
	case *ast.MappingNode, *ast.MappingValueNode:
		for _, mv := range mappingValues(v) {
			collectAnchors(mv.Value, anchors)
		}
	case *ast.SequenceNode:
		for _, e := range v.Values {
			collectAnchors(e, anchors)
		}
	}
}

func (sc *shapeChecker) add(n ast.Node, p keyPath, format string, args ...any) {
	if sc.alias != nil {
		n = sc.alias
	}
	line, col := nodePos(n)
	sc.problems = append(sc.problems, Problem{
		File: sc.d.file(), Line: line, Col: col, Path: p.String(), Msg: fmt.Sprintf(format, args...),
	})
}

func (sc *shapeChecker) check(n ast.Node, t reflect.Type, p keyPath) {
	if tag := unsupportedTag(n); tag != nil {
		sc.add(tag, p, "YAML tag %s is not supported here: write the value plainly or quote it", tagText(tag))
		return
	}
	n = unwrap(n)
	switch v := n.(type) {
	case nil, *ast.NullNode:
		return // null leaves the zero value
	case *ast.AliasNode:
		sc.checkAlias(v, t, p)
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(interfaceUnmarshaler) {
		sc.checkUnmarshaler(n, t, p)
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		sc.checkStruct(n, t, p)
	case reflect.Map:
		sc.checkMap(n, t, p)
	case reflect.Slice:
		sc.checkSlice(n, t, p)
	case reflect.Interface:
	case reflect.String:
		if isCollection(n) {
			sc.add(n, p, "expected a string, got %s", describe(n))
		}
	case reflect.Bool:
		if _, ok := n.(*ast.BoolNode); !ok {
			sc.add(n, p, "expected true or false, got %s", describe(n))
		}
	case reflect.Float32, reflect.Float64:
		if _, ok := number(n); !ok {
			sc.add(n, p, "expected a number, got %s", describe(n))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		sc.checkInt(n, p)
	}
}

// scalarTags are the YAML tags a scenario may use; goccy's decoder crashes on
// some others (a custom tag on a null), and a scenario has no use for them.
var scalarTags = map[string]bool{"!!str": true, "!!int": true, "!!float": true, "!!bool": true}

// unsupportedTag returns the tag on n (through anchors) that is not a scalar
// tag on a scalar, or nil.
func unsupportedTag(n ast.Node) *ast.TagNode {
	for {
		switch v := n.(type) {
		case *ast.TagNode:
			if !scalarTags[tagText(v)] || v.Value == nil || isCollection(unwrap(v.Value)) || isNullNode(unwrap(v.Value)) {
				return v
			}
			n = v.Value
		case *ast.AnchorNode:
			n = v.Value
		default:
			return nil
		}
	}
}

func tagText(t *ast.TagNode) string {
	if tk := t.GetToken(); tk != nil {
		return tk.Value
	}
	return "!"
}

// checkAlias checks the anchored value an alias stands for, against the type
// expected where the alias is used; problems point at the alias.
func (sc *shapeChecker) checkAlias(a *ast.AliasNode, t reflect.Type, p keyPath) {
	name, ok := a.Value.(*ast.StringNode)
	if !ok || sc.alias != nil {
		return // aliases inside aliased values were checked at their anchor
	}
	target, ok := sc.anchors[name.Value]
	if !ok {
		return
	}
	sc.alias = a
	sc.check(target, t, p)
	sc.alias = nil
}

// checkUnmarshaler decodes n alone into a fresh t so that its UnmarshalYAML
// error (Duration, Setting) gets the position the decoder would drop.
func (sc *shapeChecker) checkUnmarshaler(n ast.Node, t reflect.Type, p keyPath) {
	v := reflect.New(t)
	if err := safeNodeToValue(n, v.Interface()); err != nil {
		sc.add(n, p, "%s", errorMessage(err))
	}
}

func (sc *shapeChecker) checkStruct(n ast.Node, t reflect.Type, p keyPath) {
	entries, ok := mappingEntries(n)
	if !ok {
		sc.add(n, p, "expected a mapping (key: value), got %s", describe(n))
		return
	}
	fields := yamlFields(t)
	for _, mv := range entries {
		k, ok := keyString(mv.Key)
		if !ok {
			continue // merge keys: the decoder checks merged fields
		}
		f, known := fields[k]
		if !known {
			sc.add(mv.Key, p.key(k), "unknown key%s", suggestKey(k, fields))
			continue
		}
		sc.check(mv.Value, f.Type, p.key(k))
	}
}

func (sc *shapeChecker) checkMap(n ast.Node, t reflect.Type, p keyPath) {
	entries, ok := mappingEntries(n)
	if !ok {
		sc.add(n, p, "expected a mapping (key: value), got %s", describe(n))
		return
	}
	for _, mv := range entries {
		k, ok := keyString(mv.Key)
		if !ok {
			if _, merge := unwrap(mv.Key).(*ast.MergeKeyNode); !merge {
				sc.add(mv.Key, p, "keys must be plain names, got %s", describe(mv.Key))
			}
			continue
		}
		sc.check(mv.Value, t.Elem(), p.key(k))
	}
}

func (sc *shapeChecker) checkSlice(n ast.Node, t reflect.Type, p keyPath) {
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		sc.add(n, p, "expected a list, got %s", describe(n))
		return
	}
	for i, e := range seq.Values {
		sc.check(e, t.Elem(), p.idx(i))
	}
}

func (sc *shapeChecker) checkInt(n ast.Node, p keyPath) {
	f, ok := number(n)
	switch {
	case !ok:
		sc.add(n, p, "expected a whole number, got %s", describe(n))
	case math.IsNaN(f) || math.IsInf(f, 0) || f != math.Trunc(f):
		sc.add(n, p, "expected a whole number, got %s", describe(n))
	case f >= math.MaxInt64 || f <= math.MinInt64:
		sc.add(n, p, "number %s is too large", describe(n))
	}
}

// mappingEntries returns the entries of a mapping; false when n is not one.
func mappingEntries(n ast.Node) ([]*ast.MappingValueNode, bool) {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return mappingValues(n), true
	}
	return nil, false
}

// number reads a numeric scalar as goccy would decode it: number nodes, and
// unquoted strings that parse as numbers (goccy reads 1e6 as a string).
func number(n ast.Node) (float64, bool) {
	switch v := n.(type) {
	case *ast.IntegerNode:
		switch x := v.Value.(type) {
		case int64:
			return float64(x), true
		case uint64:
			return float64(x), true
		}
		return 0, false
	case *ast.FloatNode:
		return v.Value, true
	case *ast.InfinityNode:
		return v.Value, true
	case *ast.NanNode:
		return math.NaN(), true
	case *ast.StringNode:
		if v.Token == nil || v.Token.Type != token.StringType {
			return 0, false
		}
		f, err := strconv.ParseFloat(strings.ReplaceAll(v.Value, "_", ""), 64)
		return f, err == nil
	}
	return 0, false
}

// yamlFields maps yaml key names to struct fields.
func yamlFields(t reflect.Type) map[string]reflect.StructField {
	fields := make(map[string]reflect.StructField)
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "-" || name == "" {
			continue
		}
		fields[name] = f
	}
	return fields
}

func suggestKey(k string, fields map[string]reflect.StructField) string {
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	if s := closest(k, names); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return "; valid keys are " + strings.Join(names, ", ")
}

// errorMessage returns an error's message without goccy's position prefix
// and source excerpt; positions are added by the caller.
func errorMessage(err error) string {
	var ye yaml.Error
	if errors.As(err, &ye) {
		return ye.GetMessage()
	}
	return err.Error()
}

// safeNodeToValue decodes n into v, turning a decoder panic into an error:
// bad input must never crash the tool.
func safeNodeToValue(n ast.Node, v any, opts ...yaml.DecodeOption) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cannot decode this YAML (%v); simplify the construct at fault", r)
		}
	}()
	return yaml.NodeToValue(n, v, opts...)
}
