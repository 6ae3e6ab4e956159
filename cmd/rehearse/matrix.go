package main

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rehearse/rehearse/provider"
	"github.com/rehearse/rehearse/rehearse"
	"github.com/rehearse/rehearse/reports"
	"github.com/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
)

// majorVersion is what --pg-versions takes, as postgres.versions does.
var majorVersion = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// matrixVersions is --pg-versions, else the scenario's postgres.versions;
// nil for a single rehearsal.
func matrixVersions(sc *scenarios.Scenario, f runFlags) []string {
	if len(f.pgVersions) > 0 {
		return f.pgVersions
	}
	return sc.Postgres.Versions
}

// runMatrix rehearses the scenario once per version and writes the matrix
// (text on stdout, --json, --markdown). Exit codes: 0 when every version
// that ran passed, 1 when one failed, 2 when one could not run, none ran
// (every version skipped) or the flags do not fit a matrix.
func runMatrix(cmd *cobra.Command, path string, sc *scenarios.Scenario, versions []string, f runFlags) error {
	if err := checkMatrixFlags(sc, versions, f); err != nil {
		return cannotRun(err)
	}
	// The provider is chosen once, for the first version: `auto` uses a
	// container when Docker has (or can pull) that version's image.
	first := *sc
	first.Postgres.Version = versions[0]
	opts, err := rehearseOptions(cmd, &first, f)
	if err != nil {
		return cannotRun(err)
	}
	m, runErr := rehearse.RunMatrix(cmd.Context(), sc, versions, opts...)
	if m == nil {
		return cannotRun(runErr)
	}
	// pflag writes a list as [14,15]: the flag is added here as typed.
	base := commandLine(cmd, path, map[string]bool{"pg-versions": true})
	m.Command = base + " --pg-versions " + strings.Join(versions, ",")
	for i := range m.Runs {
		m.Runs[i].Command = base + " --pg-versions " + m.Runs[i].Version
	}
	if err := writeMatrixOutputs(cmd.OutOrStdout(), m, f); err != nil {
		return cannotRun(err)
	}
	if runErr != nil {
		return cannotRun(runErr)
	}
	switch m.Outcome() {
	case "ABORTED":
		return cannotRun(matrixNotRun(m))
	case "FAIL":
		return &exitError{code: exitFail, err: errors.New("FAIL")}
	}
	return nil
}

// checkMatrixFlags refuses what a matrix cannot honour, before anything starts.
func checkMatrixFlags(sc *scenarios.Scenario, versions []string, f runFlags) error {
	seen := map[string]bool{}
	for _, v := range versions {
		if !majorVersion.MatchString(v) {
			return fmt.Errorf("--pg-versions: %q is not a major version such as 16", v)
		}
		if seen[v] {
			return fmt.Errorf("--pg-versions: %s is listed twice", v)
		}
		seen[v] = true
	}
	if f.htmlPath != "" || f.junitPath != "" {
		return errors.New("--html and --junit are not written for a version matrix; use --json and --markdown")
	}
	if f.dsn != "" {
		return errors.New("--dsn rehearses on one existing database: it cannot run a version matrix")
	}
	for _, image := range []struct{ what, ref string }{{"--image", f.image}, {"postgres.image", sc.Postgres.Image}} {
		if image.ref != "" && len(versions) > 1 && !strings.Contains(image.ref, provider.VersionPlaceholder) {
			return fmt.Errorf("%s %s is one image for %d versions; write %s where the version goes (%s)",
				image.what, image.ref, len(versions), provider.VersionPlaceholder, "postgres:"+provider.VersionPlaceholder+"-alpine")
		}
		if f.image != "" {
			break // --image wins over postgres.image
		}
	}
	return nil
}

// matrixNotRun says why a matrix could not give a verdict.
func matrixNotRun(m *result.Matrix) error {
	for _, run := range m.Runs {
		if run.Status == result.StatusAborted {
			return fmt.Errorf("PostgreSQL %s: rehearsal aborted in %s: %s", run.Version, run.AbortedIn, run.Error)
		}
	}
	reasons := make([]string, len(m.Skipped))
	for i, s := range m.Skipped {
		reasons[i] = s.Version + ": " + s.Reason
	}
	return fmt.Errorf("no version could be rehearsed (%s)", strings.Join(reasons, "; "))
}

// writeMatrixOutputs prints the side-by-side summary and writes the
// requested files.
func writeMatrixOutputs(stdout io.Writer, m *result.Matrix, f runFlags) error {
	if err := reports.MatrixText(stdout, m); err != nil {
		return fmt.Errorf("print summary: %w", err)
	}
	for _, out := range []struct {
		path   string
		render func(io.Writer, *result.Matrix) error
	}{
		{f.jsonPath, reports.MatrixJSON},
		{f.markdownPath, reports.MatrixMarkdown},
	} {
		if out.path == "" {
			continue
		}
		if err := reports.WriteMatrixFile(out.path, m, out.render); err != nil {
			return err
		}
	}
	return nil
}
