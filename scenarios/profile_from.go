package scenarios

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/rehearse/rehearse/internal/pgsql"
)

// FromProfile replays the statements of a profile (`rehearse profile
// --statements`) as queries of a workload: each statement becomes a query
// whose weight is its share of the calls, the workload's rate is the
// profile's calls per second times Scale, and every $n is bound to the
// column it is compared with, assigned to or inserted into, drawn from that
// column's statistics in the rehearsal database (dist: stats).
//
// Queries written beside from_profile keep running: rate is then theirs
// alone, and the profile's rate is added to it. pg_stat_statements records
// statements, not transactions: a multi-statement transaction of the
// application is written as a transaction entry beside the profile.
type FromProfile struct {
	// File is the profile, relative to the scenario (inside its directory).
	File string `yaml:"file" json:"file"`
	// Scale multiplies the profile's calls per second (default 1).
	Scale float64 `yaml:"scale" json:"scale,omitempty"`
	// Top keeps the Top most called statements; 0 keeps all of them.
	Top int `yaml:"top" json:"top,omitempty"`
	// ArgsOverride gives parameters their generators by query name and
	// parameter number ({select_users_1: {"2": {gen: email}}}), replacing
	// what was inferred or binding what could not be.
	ArgsOverride map[string]map[string]*ValueSpec `yaml:"args_override" json:"args_override,omitempty"`
}

// expandFromProfile replaces the queries an earlier validation made from
// w's profile with those of the profile as it is now, so that validating
// twice gives the same workload.
func (c *checker) expandFromProfile(p keyPath, w *Workload) {
	written := w.Queries[:0:0]
	made := false
	for _, q := range w.Queries {
		if q != nil && q.Profiled != nil {
			made = true
			continue
		}
		written = append(written, q)
	}
	w.Queries = written
	if made {
		w.Rate = w.explicitRate
	}
	fp := w.FromProfile
	if fp == nil {
		return
	}
	stmts, ok := c.profileStatements(p.key("from_profile"), fp)
	if !ok {
		return
	}
	queries, ok := c.profileQueries(p.key("from_profile"), fp, stmts)
	if !ok {
		return
	}
	c.mergeProfileQueries(p, w, fp, queries)
}

// profileStatements reads the profile and returns its statements, most
// called first, cut to top.
func (c *checker) profileStatements(p keyPath, fp *FromProfile) ([]ProfileStatement, bool) {
	if fp.Scale == 0 && !c.d.has(p.key("scale")) {
		fp.Scale = 1
	}
	ok := true
	if !(fp.Scale > 0) || fp.Scale > MaxRate {
		c.addf(p.key("scale"), "must be > 0 (0.5 sends half the profiled calls per second), got %s", num(fp.Scale))
		ok = false
	}
	if fp.Top < 0 {
		c.addf(p.key("top"), "must be >= 0 (0 keeps every statement), got %d", fp.Top)
		ok = false
	}
	if strings.TrimSpace(fp.File) == "" {
		c.addf(p.key("file"), "missing; give the file `rehearse profile --statements -o FILE` wrote")
		return nil, false
	}
	prof, read := c.readProfile(p.key("file"), fp.File)
	if !read || !ok {
		return nil, false
	}
	if len(prof.Statements) == 0 {
		c.addf(p.key("file"), "%s has no statements: profile the database with rehearse profile --statements", fp.File)
		return nil, false
	}
	stmts := append([]ProfileStatement(nil), prof.Statements...)
	sort.SliceStable(stmts, func(i, j int) bool { return stmts[i].CallsPerS > stmts[j].CallsPerS })
	if fp.Top > 0 && fp.Top < len(stmts) {
		stmts = stmts[:fp.Top]
	}
	return stmts, true
}

// profileQueries makes one query per statement, with its arguments bound;
// every parameter that cannot be bound is listed in one problem.
func (c *checker) profileQueries(p keyPath, fp *FromProfile, stmts []ProfileStatement) ([]*Query, bool) {
	ok := true
	var unbound, unloaded []string
	names := map[string]bool{}
	queries := make([]*Query, 0, len(stmts))
	for i := range stmts {
		st := stmts[i]
		q := &Query{Name: profileQueryName(i, st.Query), SQL: st.Query, Profiled: &st}
		names[q.Name] = true
		override := fp.ArgsOverride[q.Name]
		args, missing, tables, err := c.bindProfileArgs(st.Query, override)
		if err != nil {
			c.addf(p.key("file"), "statement %s does not parse: %v", q.Name, err)
			ok = false
			continue
		}
		for _, m := range missing {
			unbound = append(unbound, fmt.Sprintf("%s %s", q.Name, m))
		}
		for _, t := range tables {
			unloaded = append(unloaded, fmt.Sprintf("%s (%s)", t, q.Name))
		}
		q.Args = args
		queries = append(queries, q)
	}
	ok = c.checkOverrides(p.key("args_override"), fp, names, queries) && ok
	if len(unloaded) > 0 {
		c.addf(p.key("file"), "statements draw arguments from tables that get no rows: %s; load them under data.tables or with data.profile",
			strings.Join(unloaded, ", "))
		ok = false
	}
	if len(unbound) > 0 {
		first, _, _ := strings.Cut(unbound[0], " ")
		num := strings.TrimPrefix(strings.Fields(unbound[0])[1], "$")
		c.addf(p, "cannot bind %s to a column (none is compared with, assigned to or inserted into it): %s; "+
			"give each a generator under args_override, such as args_override: {%s: {%s: {gen: number}}}",
			plural(len(unbound), "parameter"), strings.Join(unbound, "; "), first, num)
		ok = false
	}
	return queries, ok
}

// bindProfileArgs returns the argument generators of a statement's $1..$k:
// the override's, else the inferred binding. missing describes each
// parameter left without one, tables names the tables drawn from that get
// no rows.
func (c *checker) bindProfileArgs(sql string, override map[string]*ValueSpec) (args []*ValueSpec, missing, tables []string, err error) {
	bound, nums, err := inferArgs(sql, c.base)
	if err != nil {
		return nil, nil, nil, err
	}
	highest := 0
	if len(nums) > 0 {
		highest = nums[len(nums)-1]
	}
	for n := 1; n <= highest; n++ {
		if v := overrideFor(override, n); v != nil {
			args = append(args, v)
			continue
		}
		b, ok := bound[n]
		switch {
		case !ok:
			missing = append(missing, fmt.Sprintf("$%d", n))
			args = append(args, nil)
			continue
		case !b.isConst:
			if why := c.bindable(b); why != "" {
				missing = append(missing, fmt.Sprintf("$%d (%s)", n, why))
				args = append(args, nil)
				continue
			}
			if b.fresh == nil && !c.loaded(b.table) {
				tables = appendUnique(tables, b.table)
			}
		}
		args = append(args, b.spec())
	}
	return args, missing, tables, nil
}

// bindable says why a column binding cannot draw values, or "".
func (c *checker) bindable(b argBinding) string {
	if c.base == nil {
		return ""
	}
	t := c.base.Table(b.table)
	switch {
	case t == nil:
		return fmt.Sprintf("no table %s in the schema", b.table)
	case !t.Opaque && t.Column(b.column) == nil:
		return fmt.Sprintf("table %s has no column %s", b.table, b.column)
	}
	return ""
}

// loaded reports whether a table gets rows, so that its keys exist.
func (c *checker) loaded(table string) bool {
	key, ok := c.tables[normalizeTable(table)]
	return ok && c.s.Data.Tables[key] != nil && c.s.Data.Tables[key].Rows > 0 || c.schemaFills(table)
}

func overrideFor(override map[string]*ValueSpec, n int) *ValueSpec {
	for k, v := range override {
		if m, err := strconv.Atoi(strings.TrimPrefix(k, "$")); err == nil && m == n {
			return v
		}
	}
	return nil
}

// checkOverrides checks args_override: known query names, parameters the
// statement has, valid generators.
func (c *checker) checkOverrides(p keyPath, fp *FromProfile, names map[string]bool, queries []*Query) bool {
	ok := true
	byName := map[string]*Query{}
	for _, q := range queries {
		byName[q.Name] = q
	}
	for _, name := range slices.Sorted(maps.Keys(fp.ArgsOverride)) {
		q, known := byName[name]
		if !known {
			c.addKeyf(p.key(name), "no statement %q among the profile's%s", name, didYouMean(name, slices.Sorted(maps.Keys(names))))
			ok = false
			continue
		}
		for _, k := range slices.Sorted(maps.Keys(fp.ArgsOverride[name])) {
			kp := p.key(name).key(k)
			n, err := strconv.Atoi(strings.TrimPrefix(k, "$"))
			if err != nil || n < 1 || n > len(q.Args) {
				c.addKeyf(kp, "%s has parameters $1..$%d, not %s", name, len(q.Args), k)
				ok = false
				continue
			}
			c.checkValueSpec(kp, fp.ArgsOverride[name][k], nil)
		}
	}
	return ok
}

// mergeProfileQueries adds the profile's queries to w: weights in calls
// per second (rescaled to the written queries' weights when there are
// some), rate the written rate plus the profile's.
func (c *checker) mergeProfileQueries(p keyPath, w *Workload, fp *FromProfile, queries []*Query) {
	written := 0.0
	taken := map[string]bool{}
	for _, q := range w.Queries {
		if q != nil {
			written += q.Weight
			taken[q.Name] = true
		}
	}
	switch {
	case len(w.Queries) > 0 && !(w.Rate > 0):
		c.addf(p.key("rate"), "with queries beside from_profile, rate is their rate (the profile adds its own): give it")
		return
	case len(w.Queries) == 0 && w.Rate != 0:
		c.addf(p.key("rate"), "comes from the profile (its calls per second times from_profile.scale): remove rate, or change scale")
		return
	}
	unit := 1.0 // weight of one call per second
	if len(w.Queries) > 0 && written > 0 {
		unit = written / w.Rate
	}
	profRate := 0.0
	for _, q := range queries {
		if taken[q.Name] {
			c.addf(p.key("queries"), "query name %s is also a statement of from_profile: rename the query", q.Name)
			return
		}
		rate := q.Profiled.CallsPerS * fp.Scale
		q.Weight = rate * unit
		profRate += rate
	}
	if profRate <= 0 {
		c.addf(p.key("from_profile").key("file"), "%s: its statements have no calls", fp.File)
		return
	}
	w.explicitRate = w.Rate
	w.Rate += profRate
	w.Queries = append(w.Queries, queries...)
}

var nameUnsafe = regexp.MustCompile(`[^a-z0-9]+`)

// profileQueryName names the i-th statement (0-based, most called first)
// by its kind and first table: select_users_1.
func profileQueryName(i int, sql string) string {
	kind, table := "stmt", ""
	if tree, err := pgsql.Parse(sql); err == nil && len(tree.GetStmts()) == 1 {
		n := tree.GetStmts()[0].GetStmt()
		switch {
		case n.GetSelectStmt() != nil:
			kind = "select"
		case n.GetInsertStmt() != nil:
			kind = "insert"
		case n.GetUpdateStmt() != nil:
			kind = "update"
		case n.GetDeleteStmt() != nil:
			kind = "delete"
		case n.GetMergeStmt() != nil:
			kind = "merge"
		}
		if s := newArgScope(tree, nil); len(s.tables) > 0 {
			table = s.tables[0]
		}
	}
	name := kind
	if t := strings.Trim(nameUnsafe.ReplaceAllString(strings.ToLower(table), "_"), "_"); t != "" {
		name += "_" + t
	}
	return fmt.Sprintf("%s_%d", name, i+1)
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
