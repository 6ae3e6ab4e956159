package main

import (
	"fmt"
	"io"
	"os"

	"github.com/rehearse/rehearse/internal/pgsql"
	"github.com/rehearse/rehearse/reports"
	"github.com/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
)

// inGitHubActions reports whether rehearse runs as a step of a GitHub
// Actions job, which sets GITHUB_ACTIONS=true.
func inGitHubActions() bool { return os.Getenv("GITHUB_ACTIONS") == "true" }

// githubOutputs, in GitHub Actions, prints one annotation per failed check
// on the migration file and line of the step that caused it, and appends
// the Markdown sign-off to the job summary ($GITHUB_STEP_SUMMARY).
// Elsewhere it does nothing.
func githubOutputs(stdout io.Writer, path string, sc *scenarios.Scenario, res *result.Result) error {
	if !inGitHubActions() {
		return nil
	}
	for _, a := range reports.GitHubAnnotations(res, path, stepLocator(sc)) {
		if _, err := fmt.Fprintln(stdout, a); err != nil {
			return err
		}
	}
	summary := os.Getenv("GITHUB_STEP_SUMMARY")
	if summary == "" {
		return nil
	}
	f, err := os.OpenFile(summary, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("job summary: %w", err)
	}
	if err := reports.Markdown(f, res); err != nil {
		f.Close()
		return fmt.Errorf("job summary: %w", err)
	}
	return f.Close()
}

// stepLocator places each step of sc at the first line of its SQL in the
// file it comes from: a migration file, or the scenario.
func stepLocator(sc *scenarios.Scenario) reports.Locator {
	return func(name string) (string, int, bool) {
		for _, st := range append(append([]*scenarios.Step{}, sc.Migration.Steps...), sc.Migration.Rollback...) {
			if st == nil || st.Name != name {
				continue
			}
			pos := st.SQLPos(0)
			if st.Batch != nil {
				pos = st.Batch.SQLPos(0)
			} else if stmts, err := pgsql.Split(st.SQL); err == nil && len(stmts) > 0 {
				pos = st.SQLPos(stmts[0].Offset)
			}
			if pos.File == "" || pos.Line == 0 {
				return "", 0, false
			}
			return relativePath(pos.File), pos.Line, true
		}
		return "", 0, false
	}
}
