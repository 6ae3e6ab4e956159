package reports

import (
	"fmt"
	"io"
	"strings"

	"github.com/rehearse/rehearse/result"
)

// LintWidth is the column at which LintText wraps a finding.
const LintWidth = 100

// LintText writes findings for a person at a terminal or in an editor:
// the first line of each is "FILE:LINE:COL: severity: message [rule]",
// the form compilers use and editors jump to; what does not fit in
// LintWidth columns, and the safe form, follow on indented lines.
func LintText(w io.Writer, findings []result.LintFinding) error {
	for _, f := range findings {
		head := lintLocation(f) + ": " + f.Severity + ": "
		tag := " [" + f.Rule + "]"
		// A long file name still leaves room for a phrase on the first line.
		first, rest := cutWords(f.Message, max(LintWidth-len(head)-len(tag), 30))
		lines := []string{head + first + tag}
		lines = append(lines, wrapIndented(rest, "    ", LintWidth)...)
		if f.Safe != "" {
			lines = append(lines, wrapIndented("instead: "+f.Safe, "    ", LintWidth)...)
		}
		if _, err := fmt.Fprintln(w, strings.Join(lines, "\n")); err != nil {
			return err
		}
	}
	return nil
}

// LintGCC writes one line per finding, unwrapped, exactly as gcc and clang
// do ("FILE:LINE:COL: error|warning|note: message [rule]"), for problem
// matchers and tools that read compiler output.
func LintGCC(w io.Writer, findings []result.LintFinding) error {
	for _, f := range findings {
		sev := f.Severity
		if sev == "info" {
			sev = "note"
		}
		if _, err := fmt.Fprintf(w, "%s: %s: %s [%s]\n", lintLocation(f), sev, oneLine(f.Message), f.Rule); err != nil {
			return err
		}
	}
	return nil
}

// LintGitHub writes one GitHub Actions workflow command per finding
// ("::error file=…,line=…,col=…,title=…::message"), which GitHub shows as
// an annotation on that line of the pull request's diff.
func LintGitHub(w io.Writer, findings []result.LintFinding) error {
	for _, f := range findings {
		msg := f.Message
		if f.Safe != "" {
			msg += "\nInstead: " + f.Safe
		}
		a := Annotation{Level: githubLevel(f.Severity), File: f.File, Line: f.Line, Col: f.Column,
			Title: "rehearse lint: " + f.Rule, Message: msg}
		if _, err := fmt.Fprintln(w, a); err != nil {
			return err
		}
	}
	return nil
}

func githubLevel(severity string) string {
	switch severity {
	case "error":
		return "error"
	case "warning":
		return "warning"
	}
	return "notice"
}

func lintLocation(f result.LintFinding) string {
	loc := f.File
	if loc == "" {
		loc = f.Step
	}
	if f.Line > 0 {
		loc += fmt.Sprintf(":%d", f.Line)
		if f.Column > 0 {
			loc += fmt.Sprintf(":%d", f.Column)
		}
	}
	return loc
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// cutWords splits s after as many whole words as fit in width columns
// (at least one word).
func cutWords(s string, width int) (first, rest string) {
	words := strings.Fields(s)
	n, used := 0, 0
	for n < len(words) {
		add := len(words[n])
		if n > 0 {
			add++
		}
		if n > 0 && used+add > width {
			break
		}
		used += add
		n++
	}
	return strings.Join(words[:n], " "), strings.Join(words[n:], " ")
}

// wrapIndented wraps s into lines of at most width columns, each starting
// with indent.
func wrapIndented(s, indent string, width int) []string {
	var lines []string
	for s = oneLine(s); s != ""; {
		var line string
		line, s = cutWords(s, width-len(indent))
		lines = append(lines, indent+line)
	}
	return lines
}

// Annotation is one GitHub Actions workflow command that creates an
// annotation: Level is error, warning or notice; File and Line (and Col)
// place it, "" and 0 leave it on the run.
type Annotation struct {
	Level, File, Title, Message string
	Line, Col                   int
}

// String formats the workflow command, escaping as the runner expects:
// %, CR and LF everywhere, and also : and , in properties.
func (a Annotation) String() string {
	var props []string
	if a.File != "" {
		props = append(props, "file="+escapeProperty(a.File))
		if a.Line > 0 {
			props = append(props, fmt.Sprintf("line=%d", a.Line))
			if a.Col > 0 {
				props = append(props, fmt.Sprintf("col=%d", a.Col))
			}
		}
	}
	if a.Title != "" {
		props = append(props, "title="+escapeProperty(a.Title))
	}
	cmd := "::" + a.Level
	if len(props) > 0 {
		cmd += " " + strings.Join(props, ",")
	}
	return cmd + "::" + escapeData(a.Message)
}

func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
