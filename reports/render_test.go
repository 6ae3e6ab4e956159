package reports_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rehearse/rehearse/reports"
	"github.com/rehearse/rehearse/result"
)

// fixtures are real results: unsafe.json (unsafe-type-change, timeline
// trimmed, no command recorded), unsafe-full.json (the same scenario, whole),
// rename.json (rename-column: two workloads, three steps) and
// rename-pass.json (rename-column with 100,000 users, 50,000 orders and 5 s
// phases, run from a copy of the example: a PASS).
var fixtures = []string{"unsafe", "unsafe-full", "rename", "rename-pass"}

func render(t *testing.T, r *result.Result, fn func(io.Writer, *result.Result) error) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := fn(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestMarkdownGolden(t *testing.T) {
	t.Parallel()
	for _, name := range fixtures {
		md := render(t, load(t, name+".json"), reports.Markdown)
		golden(t, name+".md", md)
	}
}

// A PASS reads as one in every format: the verdict first, no failed check
// anywhere, every check among the passed ones, a JUnit suite without
// failures.
func TestPassRendersAsAPass(t *testing.T) {
	t.Parallel()
	r := load(t, "rename-pass.json")
	if !r.Verdict.Pass || len(r.Verdict.Checks) == 0 {
		t.Fatalf("rename-pass.json is not a PASS with checks: %+v", r.Verdict)
	}
	txt := render(t, r, reports.Text)
	golden(t, "rename-pass.txt", txt)
	if first := strings.SplitN(strings.TrimLeft(string(txt), "\n"), "\n", 2)[0]; !strings.HasPrefix(first, "PASS — ") {
		t.Errorf("text starts with %q, want the PASS verdict", first)
	}
	md := string(render(t, r, reports.Markdown))
	first, _, _ := strings.Cut(md, "\n")
	want := fmt.Sprintf("Passed (%d): ", len(r.Verdict.Checks))
	if !strings.HasPrefix(first, "### ✅ PASS · ") || strings.Contains(md, "failed check") || !strings.Contains(md, want) {
		t.Errorf("markdown: want a ✅ PASS first line, no failed check and %q\n%s", want, md)
	}
	var suite struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
	}
	junit := render(t, r, reports.JUnit)
	if err := xml.Unmarshal(junit, &suite); err != nil {
		t.Fatal(err)
	}
	if suite.Tests != len(r.Verdict.Checks) || suite.Failures != 0 || suite.Errors != 0 {
		t.Errorf("junit tests=%d failures=%d errors=%d, want %d, 0, 0", suite.Tests, suite.Failures, suite.Errors, len(r.Verdict.Checks))
	}
}

func TestMarkdownReadsInTheIssuesOrder(t *testing.T) {
	t.Parallel()
	md := string(render(t, load(t, "unsafe-full.json"), reports.Markdown))
	first, _, _ := strings.Cut(md, "\n")
	for _, want := range []string{"FAIL", "widen users.balance to bigint in place (unsafe)", "PostgreSQL 15.18", "2,000,000 rows", "total 28.01s"} {
		if !strings.Contains(first, want) {
			t.Errorf("first line %q lacks %q", first, want)
		}
	}
	order := []string{"failed check", "#### Migration steps", "#### Lock waits", "Worst blocker", "#### Latency by phase",
		"```mermaid", "#### Reproduce", "rehearse scenarios/examples/unsafe-type-change.yaml"}
	at := 0
	for _, want := range order {
		i := strings.Index(md[at:], want)
		if i < 0 {
			t.Fatalf("%q missing or out of order", want)
		}
		at += i
	}
	if !strings.Contains(md, "| `max_lock_wait` | 2.01s") || !strings.Contains(md, "| 200ms |") {
		t.Error("the failed lock wait check does not show observed 2.01s against limit 200ms")
	}
}

func TestJUnitGolden(t *testing.T) {
	t.Parallel()
	for _, name := range fixtures {
		golden(t, name+".junit.xml", render(t, load(t, name+".json"), reports.JUnit))
	}
}

// The JUnit shape CI systems read (Ant's junit task, Jenkins' junit-10.xsd,
// GitLab, GitHub reporters): attributes as in the common XSD, no others.
type xTestsuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    string       `xml:"tests,attr"`
	Failures string       `xml:"failures,attr"`
	Errors   string       `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []xTestsuite `xml:"testsuite"`
	Attrs    []xml.Attr   `xml:",any,attr"`
}

type xTestsuite struct {
	Name       string      `xml:"name,attr"`
	Tests      string      `xml:"tests,attr"`
	Failures   string      `xml:"failures,attr"`
	Errors     string      `xml:"errors,attr"`
	Skipped    string      `xml:"skipped,attr"`
	Time       string      `xml:"time,attr"`
	Timestamp  string      `xml:"timestamp,attr"`
	Properties []xProperty `xml:"properties>property"`
	Cases      []xTestcase `xml:"testcase"`
	SystemOut  string      `xml:"system-out"`
	Attrs      []xml.Attr  `xml:",any,attr"`
	Unknown    []xml.Name  `xml:",any"`
}

type xProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type xTestcase struct {
	Name      string     `xml:"name,attr"`
	Classname string     `xml:"classname,attr"`
	Time      string     `xml:"time,attr"`
	Failure   *xProblem  `xml:"failure"`
	Error     *xProblem  `xml:"error"`
	Attrs     []xml.Attr `xml:",any,attr"`
}

type xProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// parseJUnit parses a JUnit document and checks it against the common
// schema: required attributes present, numbers where numbers belong,
// counts that add up, no attribute the schema does not know.
func parseJUnit(t *testing.T, data []byte) xTestsuites {
	t.Helper()
	var doc xTestsuites
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("not XML: %v", err)
	}
	if len(doc.Attrs) > 0 {
		t.Errorf("testsuites has unknown attributes %v", doc.Attrs)
	}
	var tests, failures, errs int
	for _, s := range doc.Suites {
		if s.Name == "" {
			t.Error("testsuite without a name")
		}
		if len(s.Attrs) > 0 || len(s.Unknown) > 0 {
			t.Errorf("testsuite %s: unknown attributes %v or elements %v", s.Name, s.Attrs, s.Unknown)
		}
		if s.Timestamp != "" {
			if _, err := time.Parse("2006-01-02T15:04:05", s.Timestamp); err != nil {
				t.Errorf("testsuite %s: timestamp %q is not ISO 8601 without zone", s.Name, s.Timestamp)
			}
		}
		mustFloat(t, s.Time)
		var f, e int
		for _, c := range s.Cases {
			if c.Name == "" || c.Classname == "" || len(c.Attrs) > 0 {
				t.Errorf("testcase %+v: name and classname required, no other attributes", c)
			}
			mustFloat(t, c.Time)
			for _, p := range []*xProblem{c.Failure, c.Error} {
				if p != nil && (p.Message == "" || p.Type == "") {
					t.Errorf("testcase %s: failure/error without message or type", c.Name)
				}
			}
			if c.Failure != nil {
				f++
			}
			if c.Error != nil {
				e++
			}
		}
		if mustInt(t, s.Tests) != len(s.Cases) || mustInt(t, s.Failures) != f || mustInt(t, s.Errors) != e || mustInt(t, s.Skipped) != 0 {
			t.Errorf("testsuite %s: tests=%s failures=%s errors=%s, counted %d, %d, %d", s.Name, s.Tests, s.Failures, s.Errors, len(s.Cases), f, e)
		}
		tests, failures, errs = tests+len(s.Cases), failures+f, errs+e
	}
	if mustInt(t, doc.Tests) != tests || mustInt(t, doc.Failures) != failures || mustInt(t, doc.Errors) != errs {
		t.Errorf("testsuites totals tests=%s failures=%s errors=%s, counted %d, %d, %d", doc.Tests, doc.Failures, doc.Errors, tests, failures, errs)
	}
	mustFloat(t, doc.Time)
	return doc
}

func mustInt(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		t.Errorf("%q is not a count", s)
	}
	return n
}

func mustFloat(t *testing.T, s string) {
	t.Helper()
	if v, err := strconv.ParseFloat(s, 64); err != nil || v < 0 {
		t.Errorf("time %q is not a non-negative decimal", s)
	}
}

func TestJUnitParsesBackWithOneCasePerCheck(t *testing.T) {
	t.Parallel()
	r := load(t, "unsafe-full.json")
	doc := parseJUnit(t, render(t, r, reports.JUnit))
	if len(doc.Suites) != 1 || doc.Suites[0].Name != r.Scenario {
		t.Fatalf("suites %+v", doc.Suites)
	}
	cases := doc.Suites[0].Cases
	if len(cases) != len(r.Verdict.Checks) {
		t.Fatalf("%d testcases for %d checks", len(cases), len(r.Verdict.Checks))
	}
	for i, c := range r.Verdict.Checks {
		tc := cases[i]
		if tc.Name != c.Name || (tc.Failure == nil) != c.Pass {
			t.Errorf("testcase %s failure=%v for check %s pass=%v", tc.Name, tc.Failure != nil, c.Name, c.Pass)
		}
		if tc.Failure != nil && (!strings.Contains(tc.Failure.Text, "observed: "+c.Observed) || !strings.Contains(tc.Failure.Text, "limit: "+c.Limit)) {
			t.Errorf("failure of %s does not carry observed and limit: %q", c.Name, tc.Failure.Text)
		}
	}
	if !strings.Contains(doc.Suites[0].SystemOut, "FAIL — widen users.balance") {
		t.Error("system-out lacks the text summary")
	}
}

func TestJUnitSuitesAbortedAndCouldNotRun(t *testing.T) {
	t.Parallel()
	aborted := load(t, "unsafe.json")
	aborted.Status, aborted.AbortedIn, aborted.Error = result.StatusAborted, "widen", "interrupted \x00 by signal"
	suites := []reports.Suite{
		{Name: "rename-column", Result: load(t, "rename.json")},
		{Name: "unsafe-type-change", Result: aborted},
		{Name: "typo", Path: "typo.yaml", Err: "typo.yaml:7:5: unknown key querys"},
	}
	var buf bytes.Buffer
	if err := reports.JUnitSuites(&buf, suites); err != nil {
		t.Fatal(err)
	}
	golden(t, "suites.junit.xml", buf.Bytes())
	doc := parseJUnit(t, buf.Bytes())
	if len(doc.Suites) != 3 {
		t.Fatalf("%d suites", len(doc.Suites))
	}
	last := doc.Suites[1].Cases[len(doc.Suites[1].Cases)-1]
	if last.Name != "rehearsal" || last.Error == nil || !strings.Contains(last.Error.Message, "aborted in widen: interrupted") {
		t.Errorf("aborted suite's last case %+v", last)
	}
	typo := doc.Suites[2]
	if typo.Errors != "1" || typo.Cases[0].Error == nil || !strings.Contains(typo.Cases[0].Error.Message, "querys") {
		t.Errorf("could-not-run suite %+v", typo)
	}
}

func TestSummaryGolden(t *testing.T) {
	t.Parallel()
	suites := []reports.Suite{
		{Name: "rename-column", Path: "scenarios/examples/rename-column.yaml", Result: load(t, "rename.json"),
			Report: "rename-column.md", Baseline: "compared with prev/rename-column.json (started 2026-11-26 23:00): 14 figures, 0 regressed"},
		{Name: "unsafe-type-change", Path: "scenarios/examples/unsafe-type-change.yaml", Result: load(t, "unsafe-full.json"),
			Report: "unsafe-type-change.md", Baseline: "not compared: no previous result prev/unsafe-type-change.json"},
		{Name: "typo", Path: "typo.yaml", Err: "typo.yaml:7:5: unknown key querys"},
	}
	var txt, md bytes.Buffer
	if err := reports.SummaryText(&txt, suites); err != nil {
		t.Fatal(err)
	}
	if err := reports.SummaryMarkdown(&md, suites); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary.txt", txt.Bytes())
	golden(t, "summary.md", md.Bytes())
	if !strings.HasPrefix(txt.String(), "COULD NOT RUN: 3 scenarios, 0 passed, 2 failed, 1 could not run") {
		t.Errorf("headline %q", strings.SplitN(txt.String(), "\n", 2)[0])
	}
}

func TestSuiteOutcome(t *testing.T) {
	t.Parallel()
	pass := &result.Result{Status: result.StatusCompleted, Verdict: result.Verdict{Pass: true}}
	fail := &result.Result{Status: result.StatusCompleted}
	aborted := &result.Result{Status: result.StatusAborted, Verdict: result.Verdict{Pass: true}}
	invalid := &result.Result{Status: result.StatusCompleted, Verdict: result.Verdict{Invalid: true, InvalidReason: "harness starved"}}
	for _, tc := range []struct {
		s    reports.Suite
		want reports.Outcome
	}{
		{reports.Suite{Result: pass}, reports.OutcomePass},
		{reports.Suite{Result: fail}, reports.OutcomeFail},
		{reports.Suite{Result: aborted}, reports.OutcomeCannotRun},
		{reports.Suite{Result: invalid}, reports.OutcomeCannotRun},
		{reports.Suite{Err: "no"}, reports.OutcomeCannotRun},
	} {
		if got := tc.s.Outcome(); got != tc.want {
			t.Errorf("%+v: %v, want %v", tc.s, got, tc.want)
		}
	}
}

// parseHTML checks that the page is well-formed XML (it is written as
// polyglot XHTML) and returns the names of its elements and the values of
// its attributes.
func parseHTML(t *testing.T, page []byte) (elements map[string]int, attrs []string) {
	t.Helper()
	elements = map[string]int{}
	dec := xml.NewDecoder(bytes.NewReader(page))
	dec.Strict = true
	dec.AutoClose = nil
	dec.Entity = map[string]string{} // only XML's own entities
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the page is not well-formed: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			elements[se.Name.Local]++
			for _, a := range se.Attr {
				attrs = append(attrs, a.Name.Local+"="+a.Value)
			}
		}
	}
	return elements, attrs
}

func TestHTMLIsSelfContainedWithThreeCharts(t *testing.T) {
	t.Parallel()
	for _, name := range fixtures {
		page := render(t, load(t, name+".json"), reports.HTML)
		elements, attrs := parseHTML(t, page)
		if elements["svg"] != 3 {
			t.Errorf("%s: %d charts, want latency, throughput and lock waits", name, elements["svg"])
		}
		for _, banned := range []string{"script", "link", "img", "iframe", "object", "embed"} {
			if elements[banned] > 0 {
				t.Errorf("%s: has <%s>", name, banned)
			}
		}
		for _, a := range attrs {
			if strings.HasPrefix(a, "src=") || strings.HasPrefix(a, "href=") {
				t.Errorf("%s: refers to something outside: %s", name, a)
			}
		}
		for _, banned := range []string{"@import", "@font-face", "url(", "http://", "https://"} {
			if bytes.Contains(page, []byte(banned)) {
				t.Errorf("%s: contains %q", name, banned)
			}
		}
	}
}

// TestHTMLScreenshot renders the unsafe example in headless Chromium and
// checks that the picture is not blank: many colours, a good share of
// non-white pixels, the shaded step band and the blue latency line. With
// -update it also writes docs/report-example.png.
func TestHTMLScreenshot(t *testing.T) {
	t.Parallel()
	browser := findChromium()
	if browser == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed (.ci/run installs it)")
		}
		t.Skip("chromium is not installed: apt-get install -y chromium")
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	if err := reports.WriteFile(page, load(t, "unsafe-full.json"), reports.HTML); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "report.png")
	if err := screenshot(t, browser, page, shot); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	st := pixelStats(img)
	t.Logf("%dx%d, %d colours, %.1f%% non-white, band %d px, line %d px", img.Bounds().Dx(), img.Bounds().Dy(),
		st.colours, 100*st.nonWhite, st.band, st.line)
	if st.colours < 50 || st.nonWhite < 0.05 {
		t.Errorf("the screenshot looks blank: %d colours, %.1f%% non-white", st.colours, 100*st.nonWhite)
	}
	if st.band < 2000 || st.line < 500 {
		t.Errorf("the step band (%d px) or the latency line (%d px) is not visible", st.band, st.line)
	}
	if *update {
		data, err := os.ReadFile(shot)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("..", "docs", "report-example.png"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

func screenshot(t *testing.T, browser, page, png string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
		"--no-first-run", "--disable-extensions", "--disable-background-networking",
		"--user-data-dir="+filepath.Join(t.TempDir(), "profile"),
		"--window-size=1280,2000", "--screenshot="+png, "file://"+page)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("chromium: %w\n%s", err, out)
	}
	if _, err := os.Stat(png); err != nil {
		return fmt.Errorf("chromium wrote no screenshot: %w\n%s", err, out)
	}
	return nil
}

type stats struct {
	colours    int
	nonWhite   float64
	band, line int
}

// pixelStats counts distinct colours, the share of non-white pixels, the
// pixels of the step band's orange tint and of the first workload's blue.
func pixelStats(img image.Image) stats {
	b := img.Bounds()
	seen := map[[3]uint32]bool{}
	var st stats
	nonWhite := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			seen[[3]uint32{r, g, bl}] = true
			if r < 245 || g < 245 || bl < 245 {
				nonWhite++
			}
			// #ff9800 at 22% over white: about (255, 234, 199).
			if r > 245 && g > 220 && g < 245 && bl > 180 && bl < 215 {
				st.band++
			}
			// #1f77b4: the old workload's lines.
			if r < 70 && g > 100 && g < 140 && bl > 160 && bl < 200 {
				st.line++
			}
		}
	}
	st.colours = len(seen)
	st.nonWhite = float64(nonWhite) / float64(b.Dx()*b.Dy())
	return st
}

func TestRenderersSurviveSparseResults(t *testing.T) {
	t.Parallel()
	aborted := load(t, "unsafe.json")
	aborted.Status, aborted.AbortedIn, aborted.Error = result.StatusAborted, "widen", "interrupted"
	renderers := map[string]func(io.Writer, *result.Result) error{
		"text": reports.Text, "md": reports.Markdown, "junit": reports.JUnit, "html": reports.HTML, "json": reports.JSON,
	}
	for name, r := range map[string]*result.Result{
		"empty":      {},
		"no traffic": {Status: result.StatusCompleted, Steps: []result.Step{{Name: "s", DurationMS: 5}}, Phases: []result.Phase{{Name: "s", EndMS: 5}}},
		"aborted":    aborted,
	} {
		for format, fn := range renderers {
			if len(render(t, r, fn)) == 0 {
				t.Errorf("%s as %s: nothing written", name, format)
			}
		}
	}
	md := string(render(t, aborted, reports.Markdown))
	if !strings.HasPrefix(md, "### ⚠️ ABORTED · ") || !strings.Contains(md, "**Aborted** in `widen`: interrupted") {
		t.Errorf("aborted report:\n%s", md)
	}
	page := render(t, aborted, reports.HTML)
	parseHTML(t, page)
	if !bytes.Contains(page, []byte("Aborted in widen: interrupted")) {
		t.Error("the HTML report does not say the run aborted")
	}
}

func TestHTMLEscapesWhatTheScenarioSays(t *testing.T) {
	t.Parallel()
	r := load(t, "unsafe.json")
	r.Scenario = `<script>alert("x")</script> & co`
	r.Steps[0].Name = `</text><script>`
	r.Phases[1].Name = r.Steps[0].Name
	page := render(t, r, reports.HTML)
	elements, _ := parseHTML(t, page)
	if elements["script"] > 0 || !bytes.Contains(page, []byte("&lt;script&gt;")) {
		t.Error("scenario or step names are not escaped")
	}
}
