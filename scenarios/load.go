package scenarios

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Load reads, decodes, defaults and validates the scenario file at path.
// Problems in the file come back as an *Error listing all of them with
// file:line:col positions; a file that cannot be read gives a plain error.
func Load(path string) (*Scenario, error) {
	return LoadSince(path, "")
}

// LoadSince is Load with `base` (schema.migrations.to: base) cut against
// the git ref since (Scenario.Since).
func LoadSince(path, since string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	return ParseSince(data, path, since)
}

// Parse decodes, defaults and validates a scenario. path names the file in
// messages and anchors relative paths (schema.file); it may be "", in which
// case relative paths are taken from the working directory. Problems come
// back as an *Error.
func Parse(data []byte, path string) (*Scenario, error) {
	return ParseSince(data, path, "")
}

// ParseSince is Parse with `base` cut against the git ref since
// (Scenario.Since).
func ParseSince(data []byte, path, since string) (*Scenario, error) {
	d, err := parseDocument(data, path)
	if err != nil {
		return nil, err
	}
	if problems := checkShape(d, reflect.TypeOf(Scenario{})); len(problems) > 0 {
		return nil, newError(problems, path)
	}
	s := &Scenario{}
	if err := safeNodeToValue(d.body, s, yaml.DisallowUnknownField()); err != nil {
		return nil, newError([]Problem{d.decodeProblem(err)}, path)
	}
	s.Path, s.Since = path, since
	s.applyDefaults(d.has)
	c := newChecker(s, d)
	c.run()
	if err := newError(c.problems, path); err != nil {
		return nil, err
	}
	return s, nil
}

// Validate checks a Scenario built in Go (Load and Parse validate already).
// Problems carry key paths but no line numbers. Relative schema files are
// read from the directory of s.Path.
func (s *Scenario) Validate() error {
	c := newChecker(s, newDocument(s.Path, nil, nil))
	c.run()
	return newError(c.problems, s.Path)
}

// parseDocument parses data into a single YAML document.
func parseDocument(data []byte, path string) (*document, error) {
	file, err := safeParseBytes(data)
	if err != nil {
		return nil, newError([]Problem{yamlProblem(path, err)}, path)
	}
	var bodies []ast.Node
	for _, doc := range file.Docs {
		if doc != nil && doc.Body != nil {
			bodies = append(bodies, doc.Body)
		}
	}
	switch len(bodies) {
	case 0:
		return nil, newError([]Problem{{File: path, Msg: "the file is empty: a scenario needs name, schema, traffic and migration"}}, path)
	case 1:
		return newDocument(path, data, bodies[0]), nil
	}
	line, col := nodePos(bodies[1])
	return nil, newError([]Problem{{File: path, Line: line, Col: col,
		Msg: "a second YAML document starts here: put one scenario per file"}}, path)
}

func safeParseBytes(data []byte) (f *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cannot parse this YAML (%v)", r)
		}
	}()
	return parser.ParseBytes(data, 0)
}

var duplicateKeyRe = regexp.MustCompile(`^mapping key (".*") already defined at \[(\d+):(\d+)\]$`)

// yamlProblem turns a goccy error into a Problem at its token.
func yamlProblem(file string, err error) Problem {
	msg := duplicateKeyRe.ReplaceAllString(errorMessage(err), "duplicate key $1 (first at line $2, column $3)")
	p := Problem{File: file, Msg: msg}
	var ye yaml.Error
	if errors.As(err, &ye) {
		p.Line, p.Col = tokenPos(ye.GetToken())
	}
	return p
}

// decodeProblem explains a decoder error in the user's terms. The shape
// check catches these first; this is the safety net.
func (d *document) decodeProblem(err error) Problem {
	p := yamlProblem(d.file(), err)
	var ye yaml.Error
	if !errors.As(err, &ye) {
		return p
	}
	tk := ye.GetToken()
	if kp, ok := d.pathOf(tk); ok {
		p.Path = kp.String()
	}
	var (
		te *yaml.TypeError
		oe *yaml.OverflowError
		ue *yaml.UnknownFieldError
	)
	switch {
	case errors.As(err, &te):
		p.Msg = fmt.Sprintf("expected %s, got %s", expectedType(te.DstType), tokenText(tk))
	case errors.As(err, &oe):
		p.Msg = fmt.Sprintf("number %s is too large", oe.SrcNum)
	case errors.As(err, &ue):
		p.Msg = "unknown key"
	}
	return p
}

func tokenText(tk *token.Token) string {
	if tk == nil {
		return "nothing"
	}
	if tk.Type == token.StringType || tk.Type == token.DoubleQuoteType || tk.Type == token.SingleQuoteType {
		return strconv.Quote(truncate(tk.Value, 40))
	}
	return truncate(tk.Value, 40)
}

// expectedType names a Go type in YAML terms.
func expectedType(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping (key: value)"
	}
	return t.String()
}

// baseDir is the directory relative schema files are read from.
func baseDir(scenarioPath string) string {
	if scenarioPath == "" {
		return ""
	}
	return filepath.Dir(scenarioPath)
}
