package reports

import (
	"fmt"
	"strings"

	"github.com/rehearse/rehearse/internal/human"
	"github.com/rehearse/rehearse/result"
)

// fidelityHeader is the table of queries made from a production profile:
// production's figures beside the rehearsal's baseline.
var fidelityHeader = []string{"workload", "query", "prod calls/s", "asked/s", "baseline/s", "prod mean", "server mean", "baseline p50", "baseline p99", "vs prod"}

// fidelityRows lists, per workload, the queries with production figures.
func fidelityRows(r *result.Result) [][]string {
	var rows [][]string
	for _, w := range r.Workloads {
		for _, q := range w.Queries {
			p := q.Production
			if p == nil {
				continue
			}
			b := q.ByPhase["baseline"]
			rows = append(rows, []string{w.Name, q.Name, rate(p.CallsPerS), rate(p.TargetCallsPerS), rate(p.BaselineCallsPerS),
				human.MS(p.MeanMS), serverCell(p), human.MS(b.P50MS), human.MS(b.P99MS), ratioCell(p)})
		}
	}
	return rows
}

// serverCell is the rehearsal server's own mean execution time, "-" when
// its pg_stat_statements was not loaded.
func serverCell(p *result.Production) string {
	if p.Basis != "server" {
		return "-"
	}
	return human.MS(p.ServerMeanMS)
}

func rate(x float64) string { return fmt.Sprintf("%.1f", x) }

// ratioCell is the rehearsal's p50 against production's mean: "1.3×",
// with the flag when they are ten times apart.
func ratioCell(p *result.Production) string {
	if p.LatencyRatio == 0 {
		return "-"
	}
	s := fmt.Sprintf("%.1f×", p.LatencyRatio)
	if p.Basis == "client" {
		s += " (p50)"
	}
	if p.Flag != "" {
		s += " " + strings.ToUpper(p.Flag)
	}
	return s
}

// fidelity prints the production comparison, when a workload came from a
// profile.
func (p *printer) fidelity(r *result.Result) {
	rows := fidelityRows(r)
	if len(rows) == 0 {
		return
	}
	p.printf("\nAgainst production (from_profile; production times are server execution only; vs prod uses the server mean, else the p50)\n")
	p.table(fidelityHeader, rows)
}

func (m *mdWriter) fidelity(r *result.Result) {
	rows := fidelityRows(r)
	if len(rows) == 0 {
		return
	}
	m.printf("#### Against production\n\n")
	shown := rows[:min(len(rows), m.lim.rows)]
	cells := make([][]string, 0, len(shown))
	for _, row := range shown {
		c := append([]string(nil), row...)
		c[0], c[1] = mdText(c[0], 40), "`"+mdCode(c[1], 60)+"`"
		if last := len(c) - 1; strings.HasSuffix(c[last], "SLOWER") || strings.HasSuffix(c[last], "FASTER") {
			c[last] = "**" + c[last] + "**"
		}
		cells = append(cells, c)
	}
	m.table(fidelityHeader, "llrrrrrrrr", cells)
	m.more(len(rows)-len(shown), "queries")
	m.printf("\nProduction times are pg_stat_statements' execution time on the server. *vs prod* compares them with the rehearsal server's own (*server mean*, when its pg_stat_statements is loaded), else with the baseline p50, which also holds the round trip and the commit. A query ten times slower or faster than in production is flagged: the synthetic data, its size or its indexes differ there.\n\n")
}
