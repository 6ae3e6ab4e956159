// Package problem is how rehearse reports bad input: every problem found at
// once, each located at file:line:col (and key path, for scenario files), in
// file order. Package scenarios and its migration-directory reader share it;
// scenarios re-exports the types.
package problem

import (
	"fmt"
	"sort"
	"strings"
)

// Pos is a position in a file the user edits. Line and Col are 1-based; Col
// counts characters (runes), as editors do. Zero values mean unknown.
type Pos struct {
	File string
	Line int
	Col  int
}

// String formats the position as "file:line:col", leaving out unknown parts.
func (p Pos) String() string {
	var parts []string
	if p.File != "" {
		parts = append(parts, p.File)
	}
	if p.Line > 0 {
		parts = append(parts, fmt.Sprint(p.Line))
		if p.Col > 0 {
			parts = append(parts, fmt.Sprint(p.Col))
		}
	}
	return strings.Join(parts, ":")
}

// Problem is one thing wrong with a scenario, located in the file the user edits.
type Problem struct {
	// File is the scenario file, or the schema file for SQL errors in it; ""
	// when the scenario was parsed from bytes without a path.
	File string
	// Line and Col are 1-based (Col in characters); 0 when unknown.
	Line, Col int
	// Path is the key path of the offending value, such as
	// "traffic.old.queries[1].weight"; "" when the problem is not in the YAML.
	Path string
	// Msg says what is wrong and, where it helps, how to fix it.
	Msg string
}

// Pos returns where the problem is.
func (p Problem) Pos() Pos { return Pos{File: p.File, Line: p.Line, Col: p.Col} }

// String formats the problem as one line: "FILE:LINE:COL: path: msg".
func (p Problem) String() string {
	var b strings.Builder
	if pos := p.Pos().String(); pos != "" {
		b.WriteString(pos)
		b.WriteString(": ")
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Error is returned by Load and Parse when a scenario is invalid. It holds every
// problem found, so that a user can fix them all in one go.
type Error struct {
	Problems []Problem
}

// Error prints one line per problem, in file order.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// sortProblems orders problems by file (the scenario file first), then by
// position. Problems without a position keep the order they were found in.
func sortProblems(problems []Problem, mainFile string) {
	rank := func(p Problem) int {
		if p.File == mainFile {
			return 0
		}
		return 1
	}
	sort.SliceStable(problems, func(i, j int) bool {
		a, b := problems[i], problems[j]
		if rank(a) != rank(b) {
			return rank(a) < rank(b)
		}
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

// New builds an *Error from problems, sorted (mainFile's first) and without
// repeats, or returns nil when there are none.
func New(problems []Problem, mainFile string) error {
	if len(problems) == 0 {
		return nil
	}
	sortProblems(problems, mainFile)
	return &Error{Problems: dedupe(problems)}
}

// dedupe drops repeated identical problems, which arise when the same
// value is reached along two paths (YAML aliases).
func dedupe(problems []Problem) []Problem {
	seen := make(map[Problem]bool, len(problems))
	out := problems[:0]
	for _, p := range problems {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}
