package reports

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/rehearse/rehearse/internal/human"
	"github.com/rehearse/rehearse/result"
)

// JUnit writes the result as JUnit XML: one testsuite for the scenario, one
// testcase per verdict check, a failure carrying observed and limit for each
// failed check, and an error when the rehearsal aborted.
func JUnit(w io.Writer, r *result.Result) error {
	return JUnitSuites(w, []Suite{{Name: r.Scenario, Result: r}})
}

// JUnitSuites writes several scenarios as one JUnit XML document with one
// testsuite each. A suite without a Result gets a single testcase,
// "rehearsal", in error.
func JUnitSuites(w io.Writer, suites []Suite) error {
	doc := junitSuites{Name: "rehearse"}
	for _, s := range suites {
		ts := junitSuite(s)
		doc.Tests += ts.Tests
		doc.Failures += ts.Failures
		doc.Errors += ts.Errors
		doc.seconds += ts.seconds
		doc.Suites = append(doc.Suites, ts)
	}
	doc.Time = seconds(doc.seconds)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("encode junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// The JUnit shape most CI systems read (Ant's junit task, Jenkins, GitLab,
// GitHub test reporters): testsuites > testsuite > testcase > failure|error.
type junitSuites struct {
	XMLName  xml.Name         `xml:"testsuites"`
	Name     string           `xml:"name,attr"`
	Tests    int              `xml:"tests,attr"`
	Failures int              `xml:"failures,attr"`
	Errors   int              `xml:"errors,attr"`
	Time     string           `xml:"time,attr"`
	Suites   []junitTestSuite `xml:"testsuite"`
	seconds  float64
}

type junitTestSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties *junitProps     `xml:"properties,omitempty"`
	Cases      []junitTestCase `xml:"testcase"`
	SystemOut  *junitText      `xml:"system-out,omitempty"`
	seconds    float64
}

type junitProps struct {
	Props []junitProp `xml:"property"`
}

type junitProp struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitTestCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

type junitText struct {
	Text string `xml:",cdata"`
}

// xmlSafe drops the characters XML 1.0 cannot carry (most control
// characters): CDATA sections are written as they are.
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF {
			return r
		}
		return -1
	}, s)
}

func junitSuite(s Suite) junitTestSuite {
	class := "rehearse." + classPart(s.Name)
	ts := junitTestSuite{Name: s.Name}
	r := s.Result
	if r == nil {
		ts.Cases = []junitTestCase{{Name: "rehearsal", Classname: class, Time: "0",
			Error: &junitProblem{Message: human.Clip(s.Err, 500), Type: "could not run", Text: xmlSafe(s.Err)}}}
		ts.Tests, ts.Errors, ts.Time = 1, 1, "0"
		if s.Path != "" {
			ts.Properties = &junitProps{Props: []junitProp{{Name: "scenario.file", Value: s.Path}}}
		}
		return ts
	}
	ts.seconds = float64(r.DurationMS) / 1000
	ts.Time = seconds(ts.seconds)
	if !r.StartedAt.IsZero() {
		ts.Timestamp = r.StartedAt.UTC().Format("2006-01-02T15:04:05")
	}
	ts.Properties = &junitProps{Props: suiteProps(s)}
	for _, c := range r.Verdict.Checks {
		tc := junitTestCase{Name: c.Name, Classname: class, Time: "0"}
		if c.Name == "migration" {
			tc.Time = seconds(float64(migrationMS(r)) / 1000)
		}
		if !c.Pass {
			tc.Failure = &junitProblem{
				Message: human.Clip(fmt.Sprintf("%s: observed %s, limit %s", c.Name, c.Observed, c.Limit), 500),
				Type:    checkKind(c.Name),
				Text:    xmlSafe(fmt.Sprintf("observed: %s\nlimit: %s\n", c.Observed, c.Limit)),
			}
			ts.Failures++
		}
		ts.Cases = append(ts.Cases, tc)
	}
	if r.Status == result.StatusAborted {
		msg := "aborted"
		if r.AbortedIn != "" {
			msg += " in " + r.AbortedIn
		}
		if r.Error != "" {
			msg += ": " + r.Error
		}
		ts.Cases = append(ts.Cases, junitTestCase{Name: "rehearsal", Classname: class, Time: ts.Time,
			Error: &junitProblem{Message: human.Clip(msg, 500), Type: "aborted", Text: xmlSafe(msg)}})
		ts.Errors++
	}
	ts.Tests = len(ts.Cases)
	var out bytes.Buffer
	if err := Text(&out, r); err == nil {
		ts.SystemOut = &junitText{Text: xmlSafe(out.String())}
	}
	return ts
}

func suiteProps(s Suite) []junitProp {
	r := s.Result
	props := []junitProp{
		{Name: "scenario", Value: r.Scenario},
		{Name: "postgres.version", Value: r.Postgres.Version},
		{Name: "postgres.provider", Value: r.Postgres.Provider},
		{Name: "seed", Value: fmt.Sprint(r.Seed)},
		{Name: "status", Value: r.Status},
	}
	if s.Path != "" {
		props = append(props, junitProp{Name: "scenario.file", Value: s.Path})
	}
	if r.Command != "" {
		props = append(props, junitProp{Name: "command", Value: r.Command})
	}
	return props
}

// checkKind is the failure type of a check: a scenario threshold, or a
// regression against a previous run.
func checkKind(name string) string {
	if strings.HasPrefix(name, "regression.") {
		return "regression"
	}
	return "threshold"
}

// classPart turns a suite name into one dot-free classname segment.
func classPart(name string) string {
	f := strings.FieldsFunc(name, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	})
	if len(f) == 0 {
		return "scenario"
	}
	return strings.Join(f, "_")
}

func seconds(s float64) string { return fmt.Sprintf("%.3f", s) }
