// Command skipcheck runs `go test -json ...` and fails when a test skipped
// that CI is meant to run. A skip is green in go test's output, so a test
// that stops running on CI (Docker gone, a tool missing) goes unnoticed
// unless something reads the skips; this does.
//
//	go run ./internal/skipcheck -allow .ci/allowed-skips -- go test -json ./...
//
// It prints what plain `go test` would (the output of failed tests and the
// package lines, not every test's log), then each skip with its reason,
// allowed or not. The exit status is the command's when that failed, else 1
// when a skip is not allowed, else 0.
//
// The allow-list has one rule a line: a regular expression matched against
// the whole test name (TestX or TestX/sub), then, after white space, one
// matched anywhere in the skip message. Blank lines and lines starting with
// # are ignored.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strings"
)

func main() {
	allowPath := flag.String("allow", "", "file of allowed skips (see the package doc)")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: skipcheck [-allow FILE] -- go test -json [flags] [packages]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	code, err := run(*allowPath, flag.Args(), os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "skipcheck:", err)
	}
	os.Exit(code)
}

// run runs the command, relays its report to out and returns the exit
// status; err says why it is not 0 when the command's own failure does not.
func run(allowPath string, command []string, out io.Writer) (int, error) {
	var rules []rule
	if allowPath != "" {
		f, err := os.Open(allowPath)
		if err != nil {
			return 2, fmt.Errorf("read allow-list: %w", err)
		}
		rules, err = parseRules(f, allowPath)
		f.Close()
		if err != nil {
			return 2, err
		}
	}
	// Ctrl-C reaches go test too (same process group); wait for it to
	// report and exit rather than cutting its output off.
	signal.Ignore(os.Interrupt)
	cmd := exec.Command(command[0], command[1:]...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 2, fmt.Errorf("run %s: %w", command[0], err)
	}
	if err := cmd.Start(); err != nil {
		return 2, fmt.Errorf("run %s: %w", command[0], err)
	}
	c := newChecker(out)
	readErr := c.read(stdout)
	waitErr := cmd.Wait()
	bad := c.report(rules)

	var exit *exec.ExitError
	switch {
	case errors.As(waitErr, &exit):
		return exit.ExitCode(), nil
	case waitErr != nil:
		return 2, fmt.Errorf("run %s: %w", command[0], waitErr)
	case readErr != nil:
		return 2, fmt.Errorf("read test output: %w", readErr)
	case c.events == 0:
		return 1, errors.New("the command printed no go test -json events: is -json missing?")
	case bad > 0:
		return 1, fmt.Errorf("%d test(s) skipped that CI is meant to run (allow-list: %s)", bad, allowPath)
	}
	return 0, nil
}

// rule allows a skip: test matches the whole test name, reason a part of
// the message.
type rule struct {
	test, reason *regexp.Regexp
}

func parseRules(r io.Reader, name string) ([]rule, error) {
	var rules []rule
	var errs []error
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		test, reason, ok := strings.Cut(line, " ")
		if !ok {
			test, reason, ok = strings.Cut(line, "\t")
		}
		reason = strings.TrimSpace(reason)
		if !ok || reason == "" {
			errs = append(errs, fmt.Errorf("%s:%d: want TEST-REGEXP REASON-REGEXP", name, n))
			continue
		}
		tre, err := regexp.Compile("^(?:" + test + ")$")
		if err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: test: %w", name, n, err))
			continue
		}
		rre, err := regexp.Compile(reason)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: reason: %w", name, n, err))
			continue
		}
		rules = append(rules, rule{test: tre, reason: rre})
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", name, err))
	}
	return rules, errors.Join(errs...)
}

// event is the part of a go test -json line (cmd/test2json) read here.
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

type testKey struct{ pkg, test string }

// skip is one skipped test and the message it skipped with.
type skip struct {
	testKey
	reason string
}

// checker turns the event stream back into go test's plain report, keeping
// each test's output until it is known to have failed, and collects skips.
type checker struct {
	out    io.Writer
	held   map[testKey][]string // output of tests still running
	order  []testKey            // held's keys in start order
	skips  []skip
	events int
}

func newChecker(out io.Writer) *checker {
	return &checker{out: out, held: map[testKey][]string{}}
}

// read handles every line of r; a line that is not JSON is printed as is.
func (c *checker) read(r io.Reader) error {
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			var e event
			if json.Unmarshal(line, &e) == nil && e.Action != "" {
				c.events++
				c.handle(e)
			} else {
				c.out.Write(line)
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (c *checker) handle(e event) {
	k := testKey{e.Package, e.Test}
	switch {
	case e.Test == "" && e.Action == "fail":
		// A package that failed before its tests finished (a timeout
		// panic, say): what its unfinished tests printed explains it.
		c.flushPackage(e.Package)
	case e.Test == "":
		// Package lines (ok/FAIL/coverage) and build output.
		io.WriteString(c.out, e.Output)
	case e.Action == "run":
		c.held[k] = nil
		c.order = append(c.order, k)
	case e.Action == "output":
		c.held[k] = append(c.held[k], e.Output)
	case e.Action == "fail":
		c.write(c.held[k])
		c.drop(k)
	case e.Action == "skip":
		c.skips = append(c.skips, skip{testKey: k, reason: skipReason(c.held[k])})
		c.drop(k)
	case e.Action == "pass":
		c.drop(k)
	}
}

func (c *checker) write(lines []string) {
	for _, l := range lines {
		io.WriteString(c.out, l)
	}
}

func (c *checker) drop(k testKey) {
	delete(c.held, k)
	for i, o := range c.order {
		if o == k {
			c.order = append(c.order[:i], c.order[i+1:]...)
			break
		}
	}
}

func (c *checker) flushPackage(pkg string) {
	var keep []testKey
	for _, k := range c.order {
		if k.pkg != pkg {
			keep = append(keep, k)
			continue
		}
		c.write(c.held[k])
		delete(c.held, k)
	}
	c.order = keep
}

// skipReason is what a skipped test printed, without test2json's framing
// lines and the file:line prefix of t.Skip's message.
func skipReason(lines []string) string {
	var parts []string
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- SKIP") {
			continue
		}
		if file, msg, ok := strings.Cut(t, ": "); ok && strings.Contains(file, "_test.go:") {
			t = msg
		}
		parts = append(parts, t)
	}
	if len(parts) == 0 {
		return "(no reason given)"
	}
	return strings.Join(parts, " ")
}

// report prints every skip, marking those no rule allows, and returns how
// many those are.
func (c *checker) report(rules []rule) int {
	if len(c.skips) == 0 {
		return 0
	}
	bad := 0
	fmt.Fprintf(c.out, "\nskipped tests:\n")
	for _, s := range c.skips {
		mark := "allowed"
		if !allowed(rules, s) {
			mark = "NOT ALLOWED"
			bad++
		}
		fmt.Fprintf(c.out, "  %-11s %s %s: %s\n", mark, s.pkg, s.test, s.reason)
	}
	return bad
}

func allowed(rules []rule, s skip) bool {
	for _, r := range rules {
		if r.test.MatchString(s.test) && r.reason.MatchString(s.reason) {
			return true
		}
	}
	return false
}
