package autoscenario

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/rehearse/rehearse/internal/human"
	"github.com/rehearse/rehearse/scenarios"
)

// YAML writes the plan as a scenario file, commented with what was
// inferred, so that a team starts from it and edits: loaded from the
// plan's scenario path, it is the same rehearsal as p.Scenario.
func (p *Plan) YAML(command string) []byte {
	sc := p.Scenario
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("# Written by `%s`.", command)
	line("# Pending (the migration): %s", strings.Join(p.Pending, ", "))
	line("#   chosen as %s.", p.How)
	line("# Everything before them is the baseline. Rows, traffic and thresholds below")
	line("# were inferred from the schema; edit them to match production.")
	for _, n := range p.Notes {
		line("#   inferred: %s", n)
	}
	line("name: %s", quote(sc.Name))
	line("")
	line("schema:")
	line("  # the baseline: the directory up to the last file before the pending ones")
	line("  migrations: {dir: %s, format: %s, to: %s}", quote(p.relDir), p.format, quote(string(sc.Schema.Migrations.To)))
	line("")
	line("migration:")
	line("  # one step per pending file, named after it")
	line("  migrations: {dir: %s, format: %s, from: %s}", quote(p.relDir), p.format, quote(string(sc.Migration.Migrations.From)))
	line("")
	p.writeData(&b)
	p.writeTraffic(&b)
	line("phases: {baseline: %s, cooldown: %s}", sc.Phases.Baseline, sc.Phases.Cooldown)
	line("")
	line("# The defaults of `rehearse DIR`: every one can be changed here.")
	line("thresholds:")
	th := sc.Thresholds
	if th.MaxLockWait != nil {
		line("  max_lock_wait: %s   # the longest a traffic query may wait for a lock", th.MaxLockWait)
	}
	if len(th.MaxErrorRate) > 0 {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(th.MaxErrorRate)) {
			parts = append(parts, fmt.Sprintf("%s: %g", k, th.MaxErrorRate[k]))
		}
		line("  max_error_rate: {%s}   # share of failed queries per workload", strings.Join(parts, ", "))
	}
	if len(th.Forbid) > 0 {
		line("  forbid:   # what no step may do to a loaded table")
		for _, f := range th.Forbid {
			line("    - %s", f)
		}
	}
	return []byte(b.String())
}

func (p *Plan) writeData(b *strings.Builder) {
	sc := p.Scenario
	line := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	line("data:")
	line("  seed: %d", sc.Data.Seed)
	if sc.Data.Profile != "" {
		line("  profile: %s   # row counts and statistics of the tables it lists", quote(sc.Data.Profile))
	}
	if len(p.rows) == 0 {
		line("")
		return
	}
	touched := map[string]bool{}
	for _, t := range p.Touched {
		touched[t] = true
	}
	line("  # Columns are filled from the catalog (types, CHECKs, references, uniques);")
	line("  # describe one under columns: to choose its values (see docs/scenario.md).")
	line("  tables:")
	for _, name := range slices.Sorted(maps.Keys(p.rows)) {
		comment := ""
		if touched[name] {
			comment = "   # touched by the pending files"
		}
		line("    %s: {rows: %s}%s", quoteKey(name), strings.ReplaceAll(human.Count(p.rows[name]), ",", "_"), comment)
	}
	line("")
}

func (p *Plan) writeTraffic(b *strings.Builder) {
	line := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	wls := p.Scenario.Traffic.Workloads()
	if len(wls) == 0 {
		return
	}
	line("# What applications and ORMs send to the tables the pending files touch and")
	line("# their neighbours: old code against the baseline schema, new code against")
	line("# the schema after the migration. Add your own queries, remove what your")
	line("# code never sends.")
	line("traffic:")
	for _, w := range wls {
		line("  %s:", w.Name)
		if fp := w.FromProfile; fp != nil {
			// The rate and queries come from the profile when it is read.
			line("    connections: %d", w.Connections)
			line("    client: {protocol: %s}", w.ClientProtocol())
			line("    from_profile: {file: %s, scale: %s}   # production's statements, %g/s", quote(fp.File), strconv.FormatFloat(fp.Scale, 'g', -1, 64), w.Rate)
			continue
		}
		line("    rate: %g", w.Rate)
		line("    connections: %d", w.Connections)
		line("    client: {protocol: %s}", w.ClientProtocol())
		if w.StartAfter != "" {
			line("    start_after: %s   # the step that adds what it uses", quote(w.StartAfter))
		}
		line("    queries:")
		for _, q := range w.Queries {
			args := ""
			if len(q.Args) > 0 {
				parts := make([]string, len(q.Args))
				for i, a := range q.Args {
					parts[i] = valueSpec(a)
				}
				args = ", args: [" + strings.Join(parts, ", ") + "]"
			}
			line("      - {name: %s, weight: %g, sql: %s%s}", quote(q.Name), q.Weight, quote(q.SQL), args)
		}
	}
	line("")
}

// valueSpec writes the fields of an inferred argument in flow style.
func valueSpec(v *scenarios.ValueSpec) string {
	var parts []string
	switch {
	case v.Ref != "":
		parts = append(parts, "ref: "+quote(v.Ref))
	case v.Gen != "":
		parts = append(parts, "gen: "+v.Gen)
	default:
		switch val := v.Value.(type) {
		case string:
			parts = append(parts, "value: "+quote(val))
		default:
			parts = append(parts, fmt.Sprintf("value: %v", val))
		}
	}
	if v.Min != nil {
		parts = append(parts, "min: "+strconv.FormatFloat(*v.Min, 'f', -1, 64))
	}
	if v.Max != nil {
		parts = append(parts, "max: "+strconv.FormatFloat(*v.Max, 'f', -1, 64))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// quote writes s as a YAML double-quoted scalar (JSON's escapes are YAML's).
func quote(s string) string { return strconv.Quote(s) }

// quoteKey leaves plain table names bare.
func quoteKey(s string) string {
	if plainIdent.MatchString(s) {
		return s
	}
	return quote(s)
}
