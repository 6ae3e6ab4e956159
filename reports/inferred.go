package reports

import (
	"fmt"
	"strings"

	"github.com/rehearse/rehearse/internal/human"
	"github.com/rehearse/rehearse/result"
)

// inferred says, for a zero-config rehearsal (`rehearse DIR`), which files
// were the migration and what was simulated, so that a reviewer can judge
// the verdict without the scenario file there is none of.
func (m *mdWriter) inferred(r *result.Result) {
	in := r.Inferred
	if in == nil {
		return
	}
	m.printf("#### Inferred, no scenario file\n\n")
	steps := make([]string, len(in.Pending))
	for i, p := range in.Pending {
		steps[i] = "`" + mdCode(p, m.lim.cell) + "`"
	}
	m.printf("Migration: %s (%s). Everything before is the baseline.\n\n", strings.Join(steps, ", "), mdText(in.How, m.lim.cell*2))
	if len(r.Data.Tables) > 0 {
		parts := make([]string, 0, len(r.Data.Tables))
		for _, t := range r.Data.Tables {
			parts = append(parts, fmt.Sprintf("%s %s", mdText(t.Name, 60), human.Count(t.Rows)))
		}
		m.printf("Rows: %s.\n\n", strings.Join(parts, ", "))
	}
	for _, n := range in.Notes {
		m.printf("- %s\n", mdText(n, m.lim.cell*2))
	}
	if len(in.Notes) > 0 {
		m.printf("\n")
	}
	if len(in.Defaults) > 0 {
		m.printf("Default thresholds: %s.\n\n", mdText(strings.Join(in.Defaults, "; "), m.lim.cell*3))
	}
	if len(in.Queries) == 0 {
		return
	}
	m.printf("<details><summary>Inferred traffic: %d statements</summary>\n\n", len(in.Queries))
	rows := make([][]string, 0, len(in.Queries))
	for _, q := range in.Queries {
		rows = append(rows, []string{mdText(q.Workload, 10), mdText(q.Name, 60), fmt.Sprintf("%g", q.Weight), "`" + mdCode(q.SQL, m.lim.cell*2) + "`"})
	}
	m.table([]string{"code", "query", "weight", "SQL"}, "llrl", rows)
	m.printf("\n</details>\n\n")
}
