package rehearse

import (
	"context"
	"slices"
	"strings"

	"github.com/rehearse/rehearse/internal/pgsql"
	"github.com/rehearse/rehearse/internal/stmtprofile"
	"github.com/rehearse/rehearse/scenarios"
)

// baseline waits out the baseline phase. When a workload comes from a
// production profile and the rehearsal's server has pg_stat_statements
// loaded (postgres.settings: {shared_preload_libraries:
// pg_stat_statements}), it also measures the baseline's statements on the
// server, so that their execution time compares with production's like for
// like: both without the round trip and the commit.
func (r *rehearsal) baseline(ctx context.Context) error {
	d := r.sc.Phases.Baseline.D()
	if !fromProfile(r.sc) || !r.statementsLoaded(ctx) {
		return r.wait(ctx, d)
	}
	waited := false
	wait := func(ctx context.Context) error {
		waited = true
		return r.wait(ctx, d)
	}
	c, err := stmtprofile.Read(ctx, r.setup, profiledTables(r.sc), stmtprofile.WithWait(wait), stmtprofile.WithTop(1<<30))
	switch {
	case err != nil && waited:
		return err // the baseline itself failed
	case err != nil:
		r.logf("warning: cannot read pg_stat_statements on the rehearsal server (%v); production times are compared with client latencies\n", err)
		return r.wait(ctx, d)
	}
	r.serverStats = map[string]scenarios.ProfileStatement{}
	for _, st := range c.Statements {
		r.serverStats[st.Query] = st
	}
	return nil
}

// profiledTables are the tables the profiled statements name.
func profiledTables(sc *scenarios.Scenario) []string {
	var tables []string
	for _, w := range sc.Traffic.Workloads() {
		for _, q := range w.Queries {
			if q == nil || q.Profiled == nil {
				continue
			}
			if tree, err := pgsql.Parse(q.SQL); err == nil {
				tables = append(tables, stmtprofile.Relations(tree)...)
			}
		}
	}
	return tables
}

func fromProfile(sc *scenarios.Scenario) bool {
	for _, w := range sc.Traffic.Workloads() {
		if w.FromProfile != nil {
			return true
		}
	}
	return false
}

// statementsLoaded reports whether the server preloads pg_stat_statements,
// creating the extension in the rehearsal database if so.
func (r *rehearsal) statementsLoaded(ctx context.Context) bool {
	var libs string
	if err := r.setup.QueryRow(ctx, "SELECT current_setting('shared_preload_libraries')").Scan(&libs); err != nil {
		return false
	}
	loaded := slices.ContainsFunc(strings.Split(libs, ","), func(s string) bool {
		return strings.Trim(strings.TrimSpace(s), `"`) == "pg_stat_statements"
	})
	if !loaded {
		return false
	}
	if _, err := r.setup.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"); err != nil {
		r.logf("warning: CREATE EXTENSION pg_stat_statements on the rehearsal server: %v\n", err)
		return false
	}
	return true
}
