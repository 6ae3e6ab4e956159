package lint

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/rehearse/rehearse/internal/pgsql"
	"github.com/rehearse/rehearse/scenarios"
)

// Ids of the findings about suppression comments themselves. They are not
// rules of the registry (no statement can trigger them) but can be
// excluded like one.
const (
	RuleUnusedSuppression    = "unused-suppression"
	RuleMisplacedSuppression = "misplaced-suppression"
	RuleInvalidSuppression   = "invalid-suppression"
)

// SuppressionRules are the ids of the findings about suppression comments.
var SuppressionRules = []string{RuleUnusedSuppression, RuleMisplacedSuppression, RuleInvalidSuppression}

// A suppression comment is
//
//	-- rehearse:ignore RULE[,RULE...] -- reason
//	-- rehearse:ignore-file RULE[,RULE...] -- reason
//
// In a YAML scenario a "#" comment works as well as a "--" one inside the SQL.
var suppressionRe = regexp.MustCompile(`(?:--|#)\s*rehearse:(ignore(?:-file)?)\b(.*)$`)

// Suppression is one rehearse:ignore comment found in a file.
type Suppression struct {
	File string
	// Line is the comment's line; Target the line of the statement start
	// it applies to (0 for a file-wide one, or a misplaced one).
	Line, Target int
	FileWide     bool
	Rules        []string
	Reason       string
	// problem is why the comment does not apply: no reason, an unknown
	// rule, or a place that is not directly above or on a statement's
	// first line. "" when it applies.
	problem, problemRule string
	used                 bool
}

// Suppressed is a finding that a suppression comment silenced, with the
// comment's reason.
type Suppressed struct {
	Finding
	Reason string
	// At is "FILE:LINE" of the comment.
	At string
}

// Suppress applies the rehearse:ignore comments of the files the steps
// came from (read with read, usually os.ReadFile) to findings, which must
// be what Steps or Scenario returned for these steps. It returns the
// findings that remain, followed by one finding per suppression comment
// that was unused, misplaced or invalid (a suppression without a reason or
// naming an unknown rule does not apply); and the findings it silenced.
// A file that cannot be read has no suppressions.
func Suppress(findings []Finding, steps []*scenarios.Step, read func(file string) ([]byte, error)) (kept []Finding, suppressed []Suppressed) {
	starts := statementStarts(steps)
	byFile := map[string][]*Suppression{}
	var files []string
	for _, file := range slices.Sorted(maps.Keys(starts)) {
		text, err := read(file)
		if err != nil {
			continue
		}
		byFile[file] = ParseSuppressions(file, string(text), starts[file])
		files = append(files, file)
	}
	for _, f := range findings {
		if s := matching(byFile[f.File], f); s != nil {
			s.used = true
			suppressed = append(suppressed, Suppressed{Finding: f, Reason: s.Reason, At: fmt.Sprintf("%s:%d", s.File, s.Line)})
			continue
		}
		kept = append(kept, f)
	}
	for _, file := range files {
		for _, s := range byFile[file] {
			if f, ok := s.finding(); ok {
				kept = append(kept, f)
			}
		}
	}
	return kept, suppressed
}

// matching returns the applicable suppression of f, or nil. A statement
// comment takes precedence so that its use is recorded.
func matching(sups []*Suppression, f Finding) *Suppression {
	var fileWide *Suppression
	for _, s := range sups {
		if s.problem != "" || !slices.Contains(s.Rules, f.Rule) {
			continue
		}
		if !s.FileWide && s.Target == f.Line {
			return s
		}
		if s.FileWide && fileWide == nil {
			fileWide = s
		}
	}
	return fileWide
}

// finding is the finding about a suppression that does not apply or was not used.
func (s *Suppression) finding() (Finding, bool) {
	f := Finding{Severity: Warning, Step: s.File, File: s.File, Line: s.Line, Column: 1}
	switch {
	case s.problem != "":
		f.Rule, f.Message = s.problemRule, s.problem
	case !s.used:
		what := "statement below it"
		if s.FileWide {
			what = "file"
		}
		f.Rule = RuleUnusedSuppression
		f.Message = fmt.Sprintf("rehearse:ignore %s: no finding of %s in this %s to suppress.", strings.Join(s.Rules, ","), plural(len(s.Rules), "this rule", "these rules"), what)
		f.Safe = "remove the comment: the hazard it was written for is gone (or the rule no longer reports it)."
	default:
		return Finding{}, false
	}
	return f, true
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// ParseSuppressions reads the suppression comments of one file's text.
// starts are the lines on which statements begin: a statement comment
// applies to the statement starting on its own line (a trailing comment) or
// on the first line below it that is not a comment-only line; any other
// place is misplaced.
func ParseSuppressions(file, text string, starts map[int]bool) []*Suppression {
	lines := strings.Split(text, "\n")
	var out []*Suppression
	for i, line := range lines {
		m := suppressionRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		s := &Suppression{File: file, Line: i + 1, FileWide: m[1] == "ignore-file"}
		s.Rules, s.Reason = parseSuppressionBody(m[2])
		s.check(starts, lines, i, strings.TrimSpace(line[:len(line)-len(m[0])]) == "")
		out = append(out, s)
	}
	return out
}

// parseSuppressionBody splits "RULE,RULE -- reason" (the reason may also
// follow a colon).
func parseSuppressionBody(body string) (rules []string, reason string) {
	body = strings.TrimSpace(body)
	head, reason, found := strings.Cut(body, "--")
	if !found {
		head, reason, _ = strings.Cut(body, ":")
	}
	for _, r := range strings.FieldsFunc(head, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		rules = append(rules, strings.ToLower(r))
	}
	return rules, strings.TrimSpace(reason)
}

// check sets the target line, or the problem that keeps the comment from applying.
func (s *Suppression) check(starts map[int]bool, lines []string, i int, ownLine bool) {
	keyword := "rehearse:ignore"
	if s.FileWide {
		keyword = "rehearse:ignore-file"
	}
	switch {
	case len(s.Rules) == 0:
		s.problem, s.problemRule = keyword+" names no rule: write "+keyword+" RULE -- reason.", RuleInvalidSuppression
		return
	case s.Reason == "":
		s.problem, s.problemRule = fmt.Sprintf("%s %s has no reason, so it does not apply: write %s %s -- why this is safe here.",
			keyword, strings.Join(s.Rules, ","), keyword, strings.Join(s.Rules, ",")), RuleInvalidSuppression
		return
	}
	for _, r := range s.Rules {
		if !KnownRule(r) {
			s.problem, s.problemRule = fmt.Sprintf("%s names unknown rule %q (see rehearse lint --list-rules).", keyword, r), RuleInvalidSuppression
			return
		}
	}
	if s.FileWide {
		return
	}
	target := i + 1
	if ownLine {
		target = 0
		for j := i + 1; j < len(lines); j++ {
			if t := strings.TrimSpace(lines[j]); strings.HasPrefix(t, "--") || strings.HasPrefix(t, "#") {
				continue
			}
			target = j + 1
			break
		}
	}
	if !starts[target] {
		s.problem, s.problemRule = "rehearse:ignore must stand directly above a statement (only comment lines between) or at the end of its first line; here it applies to nothing.", RuleMisplacedSuppression
		return
	}
	s.Target = target
}

// KnownRule reports whether id is a rule of the registry or a suppression finding.
func KnownRule(id string) bool {
	if slices.Contains(SuppressionRules, id) {
		return true
	}
	for _, r := range registry {
		if r.ID == id {
			return true
		}
	}
	return false
}

// statementStarts maps each file to the lines on which the steps'
// statements begin.
func statementStarts(steps []*scenarios.Step) map[string]map[int]bool {
	out := map[string]map[int]bool{}
	for _, st := range steps {
		if st == nil || st.SQL == "" {
			continue
		}
		stmts, err := pgsql.Split(st.SQL)
		if err != nil {
			continue
		}
		for _, stmt := range stmts {
			pos := st.SQLPos(stmt.Offset)
			if pos.File == "" {
				continue
			}
			if out[pos.File] == nil {
				out[pos.File] = map[int]bool{}
			}
			out[pos.File][pos.Line] = true
		}
	}
	return out
}
