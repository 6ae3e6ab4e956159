package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/rehearse/rehearse/internal/human"
	"github.com/rehearse/rehearse/internal/pglock"
	"github.com/rehearse/rehearse/result"
)

// A version matrix (result.Matrix) is rendered side by side: one column per
// version that ran, one row per figure, then what differs and the versions
// skipped with the reason.

// maxMatrixSteps is how many steps the matrix shows, each a row.
const maxMatrixSteps = 40

// MatrixJSON writes the matrix as indented JSON.
func MatrixJSON(w io.Writer, m *result.Matrix) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(m)
}

// ReadMatrixJSON reads a matrix written by MatrixJSON.
func ReadMatrixJSON(path string) (*result.Matrix, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m result.Matrix
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("read matrix %s: %w", path, err)
	}
	if m.Kind != result.KindMatrix || m.SchemaVersion != result.SchemaVersion {
		return nil, fmt.Errorf("read matrix %s: kind %q, schema_version %d; want %q, %d", path, m.Kind, m.SchemaVersion, result.KindMatrix, result.SchemaVersion)
	}
	return &m, nil
}

// WriteMatrixFile renders m with render into path.
func WriteMatrixFile(path string, m *result.Matrix, render func(io.Writer, *result.Matrix) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := render(f, m); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

// MatrixText writes the terminal summary of a version matrix: the overall
// verdict, a table with one column per version, what differs, the versions
// skipped and each version's failed checks.
func MatrixText(w io.Writer, m *result.Matrix) error {
	p := &printer{w: w}
	p.printf("\n%s — %s — version matrix\n", m.Outcome(), m.Scenario)
	p.printf("%s, total %s\n", matrixSummary(m), human.MS(float64(m.DurationMS)))
	if len(m.Runs) > 0 {
		g := buildMatrixGrid(m, "\n")
		p.printf("\n")
		p.table(append([]string{""}, g.versions...), g.rows)
	}
	if len(m.Differences) > 0 {
		p.printf("\nWhat differs between versions\n")
		for _, d := range m.Differences {
			p.printf("  - %s\n", d)
		}
	} else if len(m.Runs) > 1 {
		p.printf("\nNo differences between versions.\n")
	}
	if len(m.Skipped) > 0 {
		p.printf("\nSkipped (not available on this machine)\n")
		for _, s := range m.Skipped {
			p.printf("  - %s: %s\n", s.Version, s.Reason)
		}
	}
	header := "\nFailed checks\n"
	for _, run := range m.Runs {
		for _, c := range failedChecks(&run.Result) {
			p.printf("%s  ✗ %s %s: observed %s, limit %s\n", header, run.Version, c.Name, c.Observed, c.Limit)
			header = ""
		}
		if run.Status == result.StatusAborted {
			p.printf("%s  ✗ %s aborted in %s: %s\n", header, run.Version, run.AbortedIn, run.Error)
			header = ""
		}
	}
	return p.err
}

// MatrixMarkdown writes the version matrix for a pull request: the overall
// verdict first, the side-by-side table, what differs, the skipped versions,
// the failed checks and the reproducing command, under MarkdownLimit bytes.
func MatrixMarkdown(w io.Writer, m *result.Matrix) error {
	out := renderMatrixMarkdown(m)
	if len(out) > MarkdownLimit {
		out = cutMarkdown(out, MarkdownLimit)
	}
	_, err := io.WriteString(w, out)
	return err
}

func renderMatrixMarkdown(m *result.Matrix) string {
	md := &mdWriter{lim: mdLevels[1]}
	icon := map[string]string{"PASS": "✅", "FAIL": "❌", "ABORTED": "⚠️"}[m.Outcome()]
	md.printf("### %s %s · %s · version matrix · %s · total %s\n\n", icon, m.Outcome(), mdText(m.Scenario, md.lim.cell),
		mdText(matrixSummary(m), md.lim.cell*2), human.MS(float64(m.DurationMS)))
	if len(m.Runs) > 0 {
		g := buildMatrixGrid(m, "<br>")
		header := []string{""}
		for _, v := range g.versions {
			header = append(header, "PostgreSQL "+mdText(v, 20))
		}
		rows := make([][]string, len(g.rows))
		for i, row := range g.rows {
			rows[i] = make([]string, len(row))
			rows[i][0] = "**" + mdText(row[0], 80) + "**"
			for j, cell := range row[1:] {
				rows[i][j+1] = mdCell(cell, md.lim.cell)
			}
		}
		md.table(header, "l"+strings.Repeat("l", len(g.versions)), rows)
		md.printf("\n")
	}
	if len(m.Differences) > 0 {
		md.printf("#### What differs between versions\n\n")
		for _, d := range m.Differences {
			md.printf("- %s\n", mdText(d, md.lim.cell*2))
		}
		md.printf("\n")
	} else if len(m.Runs) > 1 {
		md.printf("No differences between versions.\n\n")
	}
	if len(m.Skipped) > 0 {
		md.printf("#### Skipped (not available on this machine)\n\n")
		for _, s := range m.Skipped {
			md.printf("- **%s**: %s\n", mdText(s.Version, 20), mdText(s.Reason, md.lim.cell*2))
		}
		md.printf("\n")
	}
	md.matrixFailures(m)
	if m.Command != "" {
		md.printf("#### Reproduce\n\n```sh\n%s\n```\n", strings.ReplaceAll(human.Clip(m.Command, 2000), "```", "'''"))
	}
	return md.b.String()
}

// mdCell escapes each line of a grid cell and joins them with <br>.
func mdCell(cell string, n int) string {
	lines := strings.Split(cell, "<br>")
	for i, l := range lines {
		lines[i] = mdText(l, n)
	}
	return strings.Join(lines, "<br>")
}

func (m *mdWriter) matrixFailures(mx *result.Matrix) {
	var rows [][]string
	for _, run := range mx.Runs {
		for _, c := range failedChecks(&run.Result) {
			rows = append(rows, []string{mdText(run.Version, 20), "`" + mdCode(c.Name, 80) + "`", mdText(c.Observed, m.lim.cell), mdText(c.Limit, 60)})
		}
		if run.Status == result.StatusAborted {
			rows = append(rows, []string{mdText(run.Version, 20), "aborted in `" + mdCode(run.AbortedIn, 40) + "`", mdText(run.Error, m.lim.cell), ""})
		}
	}
	if len(rows) == 0 {
		return
	}
	m.printf("#### Failed checks\n\n")
	shown := rows[:min(len(rows), m.lim.rows)]
	m.table([]string{"version", "check", "observed", "limit"}, "llll", shown)
	m.more(len(rows)-len(shown), "failed checks")
	m.printf("\n")
}

// matrixSummary says which versions gave which verdict and which were
// skipped: "PASS on 15, 16; FAIL on 13; skipped 14".
func matrixSummary(m *result.Matrix) string {
	var order []string
	groups := map[string][]string{}
	for i := range m.Runs {
		w := result.VerdictWord(&m.Runs[i].Result)
		if _, ok := groups[w]; !ok {
			order = append(order, w)
		}
		groups[w] = append(groups[w], m.Runs[i].Version)
	}
	parts := make([]string, 0, len(order)+1)
	for _, w := range order {
		parts = append(parts, w+" on "+strings.Join(groups[w], ", "))
	}
	if len(m.Skipped) > 0 {
		skipped := make([]string, len(m.Skipped))
		for i, s := range m.Skipped {
			skipped[i] = s.Version
		}
		parts = append(parts, "skipped "+strings.Join(skipped, ", "))
	}
	if len(parts) == 0 {
		return "no version ran"
	}
	return strings.Join(parts, "; ")
}

// matrixGrid is the side-by-side table: one row per figure, the first cell
// its label, then one cell per version. Lines within a cell are joined with
// the renderer's line break.
type matrixGrid struct {
	versions []string
	rows     [][]string
}

func buildMatrixGrid(m *result.Matrix, br string) matrixGrid {
	g := matrixGrid{}
	runs := make([]*result.Result, len(m.Runs))
	for i := range m.Runs {
		g.versions = append(g.versions, m.Runs[i].Version)
		runs[i] = &m.Runs[i].Result
	}
	row := func(label string, cell func(r *result.Result) string) {
		cells := []string{label}
		for _, r := range runs {
			cells = append(cells, cell(r))
		}
		g.rows = append(g.rows, cells)
	}
	row("verdict", func(r *result.Result) string {
		if r.Status == result.StatusAborted {
			return "ABORTED in " + r.AbortedIn
		}
		return result.VerdictWord(r)
	})
	row("server", func(r *result.Result) string {
		if r.Postgres.Version == "" {
			return "did not start"
		}
		return shortVersion(r.Postgres.Version) + " (" + r.Postgres.Provider + ")"
	})
	row("failed checks", func(r *result.Result) string {
		var names []string
		for _, c := range failedChecks(r) {
			names = append(names, c.Name)
		}
		if len(names) == 0 {
			return "none"
		}
		return strings.Join(names, br)
	})
	row("migration", func(r *result.Result) string { return human.MS(float64(migrationMS(r))) })
	steps := matrixSteps(m)
	for _, name := range steps[:min(len(steps), maxMatrixSteps)] {
		row("step "+name, func(r *result.Result) string { return matrixStepCell(r, name, br) })
	}
	if n := len(steps) - maxMatrixSteps; n > 0 {
		row(fmt.Sprintf("… %d more steps", n), func(*result.Result) string { return "(in the JSON)" })
	}
	row("lock waits of traffic", func(r *result.Result) string {
		return fmt.Sprintf("%d, max %s", r.LockWaits.Count, human.MS(r.LockWaits.MaxMS))
	})
	for _, w := range matrixWorkloads(m) {
		row("p99 "+w+" baseline → migration", func(r *result.Result) string {
			wl, ok := findWorkload(r, w)
			if !ok {
				return "—"
			}
			return phaseP99(wl.ByPhase["baseline"]) + " → " + phaseP99(wl.Migration)
		})
		row("errors "+w, func(r *result.Result) string {
			wl, ok := findWorkload(r, w)
			if !ok {
				return "—"
			}
			var count, errs int64
			for _, q := range wl.Queries {
				count += q.Count
				errs += q.Errors
			}
			return fmt.Sprintf("%s of %s", human.Count(errs), human.Count(count))
		})
	}
	if matrixHasReplication(m) {
		row("standby replay lag", func(r *result.Result) string {
			if r.Replication == nil {
				return "—"
			}
			return fmt.Sprintf("max %s, %s behind", human.MS(r.Replication.MaxReplayLagMS), human.Bytes(r.Replication.MaxLagBytes))
		})
		row("WAL written", func(r *result.Result) string {
			if r.Replication == nil {
				return "—"
			}
			return human.Bytes(r.Replication.WALBytes)
		})
	}
	row("total", func(r *result.Result) string { return human.MS(float64(r.DurationMS)) })
	return g
}

// matrixStepCell is one step on one version: duration, strongest lock per
// relation, rewrites and write-blocking scans, or the failure.
func matrixStepCell(r *result.Result, name, br string) string {
	var s *result.Step
	for i := range r.Steps {
		if r.Steps[i].Name == name {
			s = &r.Steps[i]
		}
	}
	if s == nil {
		return "not run"
	}
	lines := []string{human.MS(float64(s.DurationMS))}
	if s.Error != "" {
		text := "FAILED"
		if s.SQLState != "" {
			text += " (" + s.SQLState + ")"
		}
		lines = append(lines, text+": "+human.Clip(s.Error, 60))
	}
	lines = append(lines, strongestLocks(s.Locks)...)
	if len(s.Rewrote) > 0 {
		lines = append(lines, "rewrote "+strings.Join(s.Rewrote, ", "))
	}
	for _, sc := range s.Scans {
		if sc.BlocksWrites {
			lines = append(lines, "scanned "+sc.Relation+" blocking writes")
		}
	}
	return strings.Join(lines, br)
}

// strongestLocks is "relation Mode" per relation, strongest first, then by name.
func strongestLocks(locks []result.StepLock) []string {
	best := map[string]string{}
	for _, l := range locks {
		if pglock.Strength(l.Mode) > pglock.Strength(best[l.Relation]) {
			best[l.Relation] = l.Mode
		}
	}
	rels := make([]string, 0, len(best))
	for rel := range best {
		rels = append(rels, rel)
	}
	sort.Slice(rels, func(i, j int) bool {
		a, b := pglock.Strength(best[rels[i]]), pglock.Strength(best[rels[j]])
		if a != b {
			return a > b
		}
		return rels[i] < rels[j]
	})
	out := make([]string, len(rels))
	for i, rel := range rels {
		out[i] = rel + " " + modeShort(best[rel])
	}
	return out
}

// phaseP99 is the p99 of a phase, or "none ok" when no request of the
// phase succeeded (a p99 of 0 would read as fast).
func phaseP99(ps result.PhaseStats) string {
	if ps.Count <= ps.Errors {
		return "none ok"
	}
	return human.MS(ps.P99MS)
}

func matrixSteps(m *result.Matrix) []string {
	var names []string
	seen := map[string]bool{}
	for _, run := range m.Runs {
		for _, s := range run.Steps {
			if !seen[s.Name] {
				seen[s.Name] = true
				names = append(names, s.Name)
			}
		}
	}
	return names
}

func matrixWorkloads(m *result.Matrix) []string {
	var names []string
	seen := map[string]bool{}
	for _, run := range m.Runs {
		for _, w := range run.Workloads {
			if !seen[w.Name] {
				seen[w.Name] = true
				names = append(names, w.Name)
			}
		}
	}
	return names
}

func matrixHasReplication(m *result.Matrix) bool {
	for _, run := range m.Runs {
		if run.Replication != nil {
			return true
		}
	}
	return false
}

func findWorkload(r *result.Result, name string) (result.Workload, bool) {
	for _, w := range r.Workloads {
		if w.Name == name {
			return w, true
		}
	}
	return result.Workload{}, false
}
