package rehearse

import (
	"fmt"

	"github.com/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
)

// withProduction sets each query made from a profile's statements beside
// production's figures, and warns about those ten times slower or faster
// than in production.
func withProduction(sc *scenarios.Scenario, workloads []result.Workload, phases []result.Phase, server map[string]scenarios.ProfileStatement) {
	baseline := 0.0
	for _, ph := range phases {
		if ph.Name == scenarios.PhaseBaseline {
			baseline = float64(ph.EndMS-ph.StartMS) / 1000
		}
	}
	for _, w := range sc.Traffic.Workloads() {
		if w.FromProfile == nil {
			continue
		}
		profiled := map[string]*scenarios.ProfileStatement{}
		sql := map[string]string{}
		for _, q := range w.Queries {
			if q != nil && q.Profiled != nil {
				profiled[q.Name] = q.Profiled
				sql[q.Name] = q.SQL
			}
		}
		for i := range workloads {
			if workloads[i].Name == w.Name {
				setProduction(&workloads[i], profiled, w.FromProfile.Scale, baseline, func(name string) (float64, bool) {
					st, ok := server[sql[name]]
					return st.MeanMS, ok
				})
			}
		}
	}
}

// setProduction fills the production figures of w's queries; serverMean
// is a query's mean execution time on the rehearsal's server, when known.
func setProduction(w *result.Workload, profiled map[string]*scenarios.ProfileStatement, scale, baseline float64, serverMean func(string) (float64, bool)) {
	for i := range w.Queries {
		q := &w.Queries[i]
		st := profiled[q.Name]
		if st == nil {
			continue
		}
		p := &result.Production{CallsPerS: st.CallsPerS, MeanMS: st.MeanMS, StddevMS: st.StddevMS, TargetCallsPerS: st.CallsPerS * scale}
		b, ok := q.ByPhase[scenarios.PhaseBaseline]
		if ok && baseline > 0 {
			p.BaselineCallsPerS = float64(b.Count) / baseline
			ours, what := b.P50MS, "baseline p50"
			p.Basis = "client"
			if mean, known := serverMean(q.Name); known {
				p.ServerMeanMS, ours, what, p.Basis = mean, mean, "server mean", "server"
			}
			p.Flag, p.LatencyRatio = productionFlag(ours, st.MeanMS)
			if p.Flag != "" {
				w.Warnings = append(w.Warnings, fmt.Sprintf("query %s ran %.0f× %s than in production (%s %.2f ms, production mean %.2f ms): the synthetic data, its size or its indexes differ",
					q.Name, max(p.LatencyRatio, 1/p.LatencyRatio), p.Flag, what, ours, st.MeanMS))
			}
		}
		q.Production = p
	}
}

// productionFlag compares a rehearsal's time with production's mean time: "slower" or "faster" when they are ProductionFlagRatio apart
// and more than ProductionFlagFloorMS (a sub-millisecond statement is
// dominated by the round trip, which production's figure leaves out).
func productionFlag(p50, mean float64) (string, float64) {
	if p50 <= 0 || mean <= 0 {
		return "", 0
	}
	ratio := p50 / mean
	far := p50-mean >= result.ProductionFlagFloorMS || mean-p50 >= result.ProductionFlagFloorMS
	switch {
	case far && ratio >= result.ProductionFlagRatio:
		return "slower", ratio
	case far && ratio <= 1/result.ProductionFlagRatio:
		return "faster", ratio
	}
	return "", ratio
}
