package stmtprofile

import (
	"sort"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/rehearse/rehearse/internal/pgsql"
	"github.com/rehearse/rehearse/scenarios"
)

// Reasons a statement is left out (Capture.Skipped keys).
const (
	SkipUtility     = "utility"
	SkipOtherTables = "other tables"
	SkipUnparsed    = "unparsed"
	SkipCoverage    = "below coverage"
)

// summarize keeps the statements on tables, most called first, cut to top
// (or to DefaultCoverage of the calls when top is 0).
func summarize(window map[int64]*entry, secs float64, tables []string, top int) *Capture {
	want := map[string]bool{}
	for _, t := range tables {
		want[normalize(t)] = true
	}
	c := &Capture{Skipped: map[string]int{}, Statements: []scenarios.ProfileStatement{}}
	var kept []scenarios.ProfileStatement
	total := 0.0
	for id, e := range window {
		if reason := Classify(e.query, want); reason != "" {
			c.Skipped[reason]++
			continue
		}
		st := e.stats(id, secs)
		kept = append(kept, st)
		total += st.CallsPerS
	}
	sort.Slice(kept, func(i, j int) bool {
		if kept[i].CallsPerS != kept[j].CallsPerS {
			return kept[i].CallsPerS > kept[j].CallsPerS
		}
		return kept[i].Query < kept[j].Query
	})
	covered := 0.0
	for i, st := range kept {
		done := top > 0 && i >= top || top == 0 && total > 0 && covered/total >= DefaultCoverage
		if done {
			c.Skipped[SkipCoverage] = len(kept) - i
			break
		}
		c.Statements = append(c.Statements, st)
		covered += st.CallsPerS
	}
	c.Window = scenarios.StatementsWindow{Seconds: secs, TotalCallsPerS: total}
	if total > 0 {
		c.Window.CoveredShare = covered / total
	}
	return c
}

// Classify says why a normalized statement is left out of a profile of the
// tables in want (normalized names), or "" to keep it: it must be one
// SELECT, INSERT, UPDATE, DELETE or MERGE whose every table is in want.
func Classify(query string, want map[string]bool) string {
	tree, err := pgsql.Parse(query)
	if err != nil || len(tree.GetStmts()) != 1 {
		return SkipUnparsed
	}
	n := tree.GetStmts()[0].GetStmt()
	switch {
	case n.GetSelectStmt() != nil, n.GetInsertStmt() != nil, n.GetUpdateStmt() != nil,
		n.GetDeleteStmt() != nil, n.GetMergeStmt() != nil:
	default:
		return SkipUtility
	}
	rels := Relations(tree)
	if len(rels) == 0 {
		return SkipOtherTables
	}
	for _, r := range rels {
		if !want[r] {
			return SkipOtherTables
		}
	}
	return ""
}

// Relations lists the tables a parse tree names (normalized: "users" in
// public, "schema.table" elsewhere), leaving out the names of its CTEs.
func Relations(tree *pg_query.ParseResult) []string {
	ctes := map[string]bool{}
	var rels []*pg_query.RangeVar
	pgsql.Walk(tree.ProtoReflect(), func(m protoreflect.Message) {
		switch v := m.Interface().(type) {
		case *pg_query.CommonTableExpr:
			ctes[v.GetCtename()] = true
		case *pg_query.RangeVar:
			rels = append(rels, v)
		}
	})
	seen := map[string]bool{}
	var out []string
	for _, rv := range rels {
		if rv.GetSchemaname() == "" && ctes[rv.GetRelname()] {
			continue
		}
		name := rv.GetRelname()
		if s := rv.GetSchemaname(); s != "" {
			name = s + "." + name
		}
		name = normalize(name)
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out
}

func normalize(name string) string { return strings.TrimPrefix(name, "public.") }
