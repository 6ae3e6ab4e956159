package autoscenario

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/internal/pgsql"
	"github.com/rehearse/rehearse/scenarios"
)

// Weights of the inferred statement kinds: reads dominate, as in most
// applications.
var kindWeights = map[string]float64{
	"get": 4, "get_star": 2, "list": 2, "update": 2, "insert": 1, "delete": 1, "scan": 1,
}

// traffic infers the old code's workload from the baseline schema (or takes
// production's from the profile's statements) and, when the pending files
// add tables or columns, the new code's from the schema after them.
func (p *Plan) traffic(sc *scenarios.Scenario, a *analysis, o Options) {
	tables := a.neighbours()
	for name := range a.touched {
		tables[name] = true
	}
	old := &querySet{src: argSource{a: a, cat: a.base, f: a.baseFacts}}
	for _, name := range slices.Sorted(maps.Keys(tables)) {
		old.table(name, a.base.Table(name), a.baseFacts.table(name))
	}
	production := p.productionCalls()
	if production > 0 {
		// The profile's statements are the old code: the inferred ones
		// (and their notes) would only guess at what it measured.
		old = &querySet{}
	}
	p.Notes = append(p.Notes, old.notes...)
	newer := &querySet{src: argSource{a: a, cat: a.after, f: a.afterFacts}}
	startAfter := ""
	for _, name := range a.after.TableNames() {
		t := a.after.Table(name)
		step := a.newIn(t)
		if step == "" {
			continue
		}
		newer.table(name, t, a.afterFacts.table(name))
		if a.stepIndex(step) > a.stepIndex(startAfter) {
			startAfter = step
		}
	}
	for _, n := range newer.notes {
		if !contains(p.Notes, n) {
			p.Notes = append(p.Notes, n)
		}
	}
	rate := o.Rate
	if len(newer.queries) > 0 && (len(old.queries) > 0 || production > 0) {
		rate = o.Rate * 3 / 4
	}
	switch {
	case production > 0:
		sc.Traffic.Old = &scenarios.Workload{Connections: scenarios.DefaultConnections,
			Client:      &scenarios.Client{Protocol: scenarios.ProtocolCached},
			FromProfile: &scenarios.FromProfile{File: sc.Data.Profile, Scale: rate / production}}
		p.Notes = append(p.Notes, fmt.Sprintf("old-code traffic: the %d statements of the profile %s (production's mix, measured by pg_stat_statements) replace the inferred queries, at %g/s (--rate; production ran %s/s, so scale %.3g)",
			len(p.prof.Statements), p.profile, rate, strconv.FormatFloat(production, 'f', -1, 64), rate/production))
	case len(old.queries) > 0:
		sc.Traffic.Old = &scenarios.Workload{Rate: rate, Connections: scenarios.DefaultConnections,
			Client: &scenarios.Client{Protocol: scenarios.ProtocolCached}, Queries: old.queries}
	}
	if len(newer.queries) > 0 {
		sc.Traffic.New = &scenarios.Workload{Rate: o.Rate - rate, Connections: scenarios.DefaultConnections,
			Client: &scenarios.Client{Protocol: scenarios.ProtocolCached}, StartAfter: startAfter, Queries: newer.queries}
		if sc.Traffic.Old == nil {
			sc.Traffic.New.Rate = o.Rate
		}
		sc.Thresholds.MaxErrorRate["new"] = 0
		p.Defaults = append(p.Defaults, "max_error_rate.new: 0 (no new-code query may fail)")
		p.DefaultChecks = append(p.DefaultChecks, "max_error_rate[new]")
	}
	if sc.Traffic.Old == nil && sc.Traffic.New == nil {
		p.Notes = append(p.Notes, "no traffic: the pending files touch no table of the baseline and add none")
	}
}

// productionCalls is the calls per second of the profile's statements, 0
// without a profile or without statements in it.
func (p *Plan) productionCalls() float64 {
	if p.prof == nil {
		return 0
	}
	total := 0.0
	for _, st := range p.prof.Statements {
		total += st.CallsPerS
	}
	return total
}

// neighbours are the baseline tables that a touched table references or
// that reference one, touched tables excluded.
func (a *analysis) neighbours() map[string]bool {
	out := map[string]bool{}
	for name := range a.touched {
		for _, k := range a.baseFacts.table(name).fks {
			if a.base.Table(k.parent) != nil {
				out[k.parent] = true
			}
		}
		for _, r := range a.baseFacts.references(name) {
			if a.base.Table(r.child) != nil {
				out[r.child] = true
			}
		}
	}
	for name := range a.touched {
		delete(out, name)
	}
	return out
}

// newIn returns the step that adds t or the last of its columns, or "".
func (a *analysis) newIn(t *scenarios.CatalogTable) string {
	if step := a.created[t.Name]; step != "" {
		return step
	}
	last := ""
	for _, col := range t.Columns {
		if step := a.created[t.Name+"."+col.Name]; step != "" && a.stepIndex(step) > a.stepIndex(last) {
			last = step
		}
	}
	return last
}

func (a *analysis) stepIndex(step string) int {
	for i, s := range a.steps {
		if s == step {
			return i
		}
	}
	return -1
}

// querySet collects the queries of one workload.
type querySet struct {
	src     argSource
	queries []*scenarios.Query
	notes   []string
}

func (qs *querySet) add(table, kind, sql string, args ...*scenarios.ValueSpec) {
	qs.queries = append(qs.queries, &scenarios.Query{Name: table + "." + kind, Weight: kindWeights[kindOf(kind)], SQL: sql, Args: args})
}

func kindOf(kind string) string {
	if strings.HasPrefix(kind, "list_by_") {
		return "list"
	}
	return kind
}

// table adds what an application sends to t: point reads by key (every
// column named, and SELECT *), an insert of every insertable column, an
// update of a non-key column, lists by each reference and indexed column,
// and a delete where no reference forbids it.
func (qs *querySet) table(name string, t *scenarios.CatalogTable, tf *tableFacts) {
	if t == nil || t.Opaque || len(t.Columns) == 0 {
		return
	}
	ident := quoteTable(name)
	cols := quoteList(t.ColumnNames())
	key, keyDesc := qs.key(t, tf)
	where, keyArgs := qs.keyWhere(name, t, key, 1)
	if key == nil {
		qs.notes = append(qs.notes, fmt.Sprintf("%s has no primary key or unique key: reads are %s.scan (LIMIT 20), no update or delete", name, name))
		qs.add(name, "scan", fmt.Sprintf("SELECT %s FROM %s LIMIT 20", cols, ident))
	} else {
		if keyDesc != "" {
			qs.notes = append(qs.notes, fmt.Sprintf("%s has no primary key: rows are read, updated and deleted by its %s", name, keyDesc))
		}
		qs.add(name, "get", fmt.Sprintf("SELECT %s FROM %s WHERE %s", cols, ident, where), keyArgs...)
		qs.add(name, "get_star", fmt.Sprintf("SELECT * FROM %s WHERE %s", ident, where), keyArgs...)
	}
	qs.insert(name, t, tf)
	if key != nil {
		qs.update(name, t, tf, key)
	}
	qs.lists(name, t, tf, key, cols)
	if key != nil && qs.deletable(name) {
		qs.add(name, "delete", fmt.Sprintf("DELETE FROM %s WHERE %s", ident, where), keyArgs...)
	}
}

// key returns the columns rows are addressed by: the primary key, else the
// first unique key of NOT NULL columns (described), else nil.
func (qs *querySet) key(t *scenarios.CatalogTable, tf *tableFacts) ([]string, string) {
	if pk := t.PrimaryKey(); len(pk) > 0 {
		return pk, ""
	}
	for _, u := range tf.uniques {
		ok := len(u) > 0
		for _, c := range u {
			col := t.Column(c)
			ok = ok && col != nil && col.NotNull
		}
		if ok {
			return u, fmt.Sprintf("unique key (%s)", strings.Join(u, ", "))
		}
	}
	return nil, ""
}

// keyWhere is "a = $n AND b = $n+1" with the arguments that fill it.
func (qs *querySet) keyWhere(table string, t *scenarios.CatalogTable, key []string, first int) (string, []*scenarios.ValueSpec) {
	var parts []string
	var args []*scenarios.ValueSpec
	for i, c := range key {
		col := t.Column(c)
		arg := qs.src.forKey(table, col)
		if arg == nil {
			return "", nil
		}
		parts = append(parts, fmt.Sprintf("%s = $%d", quoteIdent(c), first+i))
		args = append(args, arg)
	}
	return strings.Join(parts, " AND "), args
}

// insert adds an insert of every column the application writes: all but
// identity and generated columns. A column with no valid value known is
// left out when it has a default or takes NULL; otherwise there is no
// insert, and a note says why.
func (qs *querySet) insert(name string, t *scenarios.CatalogTable, tf *tableFacts) {
	var cols, params []string
	var args []*scenarios.ValueSpec
	for _, col := range t.Columns {
		if col.Identity || col.Generated {
			continue
		}
		arg := qs.src.forWrite(name, col, tf, isUnique(t, tf, col.Name))
		if arg == nil {
			if col.HasDefault || !col.NotNull {
				continue
			}
			qs.notes = append(qs.notes, fmt.Sprintf("no %s.insert: no value of %s.%s (%s) is known to be valid and unique where it must be; describe the insert in a scenario (rehearse init)", name, name, col.Name, col.Type))
			return
		}
		cols = append(cols, quoteIdent(col.Name))
		args = append(args, arg)
		params = append(params, fmt.Sprintf("$%d", len(args)))
	}
	if len(cols) == 0 {
		qs.add(name, "insert", fmt.Sprintf("INSERT INTO %s DEFAULT VALUES", quoteTable(name)))
		return
	}
	qs.add(name, "insert", fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", quoteTable(name), strings.Join(cols, ", "), strings.Join(params, ", ")), args...)
}

// update sets one column that no key, reference or CHECK constrains,
// preferring an unindexed one, as a form that edits a field does.
func (qs *querySet) update(name string, t *scenarios.CatalogTable, tf *tableFacts, key []string) {
	var pick *scenarios.CatalogColumn
	var arg *scenarios.ValueSpec
	for _, col := range t.Columns {
		if col.PrimaryKey || col.Identity || col.Generated || contains(key, col.Name) || isUnique(t, tf, col.Name) || isReference(tf, col.Name) || tf.checked[col.Name] {
			continue
		}
		a := qs.src.forWrite(name, col, tf, false)
		if a == nil {
			continue
		}
		if pick == nil || isIndexed(tf, pick.Name) && !isIndexed(tf, col.Name) {
			pick, arg = col, a
		}
	}
	if pick == nil {
		return
	}
	where, keyArgs := qs.keyWhere(name, t, key, 1)
	if where == "" {
		return
	}
	set := fmt.Sprintf("%s = $%d", quoteIdent(pick.Name), len(keyArgs)+1)
	qs.add(name, "update", fmt.Sprintf("UPDATE %s SET %s WHERE %s", quoteTable(name), set, where), append(keyArgs, arg)...)
}

// lists adds a list by each single-column reference and each index's
// leading column, with a LIMIT as paginated pages do.
func (qs *querySet) lists(name string, t *scenarios.CatalogTable, tf *tableFacts, key []string, cols string) {
	seen := map[string]bool{}
	if len(key) > 0 {
		seen[key[0]] = true
	}
	add := func(c string, arg *scenarios.ValueSpec) {
		if seen[c] || arg == nil || t.Column(c) == nil {
			return
		}
		seen[c] = true
		qs.add(name, "list_by_"+c, fmt.Sprintf("SELECT %s FROM %s WHERE %s = $1 LIMIT 20", cols, quoteTable(name), quoteIdent(c)), arg)
	}
	for _, k := range tf.fks {
		if len(k.cols) == 1 {
			add(k.cols[0], qs.src.forReference(k))
		}
	}
	var leads []string
	for _, idx := range append(append([][]string{}, tf.indexed...), tf.uniques...) {
		leads = append(leads, idx[0])
	}
	sort.Strings(leads)
	for _, c := range leads {
		if col := t.Column(c); col != nil && !seen[c] {
			add(c, qs.src.forKey(name, col))
		}
	}
}

// deletable reports whether rows of table can be deleted without a
// reference refusing it: no other table references it with NO ACTION or
// RESTRICT.
func (qs *querySet) deletable(table string) bool {
	for _, r := range qs.src.f.references(table) {
		if r.fk.onDelete == "" || r.fk.onDelete == "a" || r.fk.onDelete == "r" {
			return false
		}
	}
	return true
}

func isUnique(t *scenarios.CatalogTable, tf *tableFacts, col string) bool {
	if c := t.Column(col); c != nil && c.PrimaryKey {
		return true
	}
	for _, u := range tf.uniques {
		if contains(u, col) {
			return true
		}
	}
	return false
}

func isReference(tf *tableFacts, col string) bool {
	for _, k := range tf.fks {
		if contains(k.cols, col) {
			return true
		}
	}
	return false
}

func isIndexed(tf *tableFacts, col string) bool {
	for _, idx := range tf.indexed {
		if len(idx) > 0 && idx[0] == col {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

var plainIdent = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// quoteIdent quotes s only where SQL needs it (capitals, spaces, reserved
// words), so that the statements read as an application writes them.
func quoteIdent(s string) string {
	if plainIdent.MatchString(s) {
		if _, err := pgsql.Parse("SELECT " + s + " FROM " + s + " WHERE " + s + " = 1"); err == nil {
			return s
		}
	}
	return pgx.Identifier{s}.Sanitize()
}

// quoteTable quotes "schema.table" as two identifiers.
func quoteTable(name string) string {
	parts := strings.Split(name, ".")
	for i, p := range parts {
		parts[i] = quoteIdent(p)
	}
	return strings.Join(parts, ".")
}

func quoteList(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = quoteIdent(n)
	}
	return strings.Join(out, ", ")
}
