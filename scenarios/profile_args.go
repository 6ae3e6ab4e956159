package scenarios

import (
	"fmt"
	"math"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/rehearse/rehearse/internal/pgsql"
)

// Constants bound to LIMIT $n and OFFSET $n of a profiled statement: the
// profile keeps no constant, and a page of results is the common case.
const (
	ProfileLimit  = 10
	ProfileOffset = 0
)

// ProfileArraySize is how many values an array parameter (= ANY($n)) of a
// profiled statement gets.
const ProfileArraySize = 3

// argBinding is what one $n of a statement stands for: a column's values
// (a single one, or an array for = ANY($n)) or a constant.
type argBinding struct {
	table, column string
	array         bool
	constant      any
	isConst       bool
	// fresh generates new keys: the parameter is inserted into a
	// single-column primary key, where a drawn existing value would fail.
	fresh *ValueSpec
}

// spec is the argument generator of a binding: a column's values follow
// its pg_stats distribution in the rehearsal database (dist: stats).
func (b argBinding) spec() *ValueSpec {
	switch {
	case b.isConst:
		return &ValueSpec{Value: b.constant}
	case b.fresh != nil:
		return b.fresh
	}
	v := &ValueSpec{Ref: b.table + "." + b.column, Dist: DistStats}
	if b.array {
		v.Array = ProfileArraySize
	}
	return v
}

// inferArgs binds each $n of sql to the column it is compared with,
// assigned to, inserted into or looked up in (IN, = ANY), or to a constant
// for LIMIT and OFFSET. It returns the bindings by parameter number and the
// numbers of all parameters, ascending; cat resolves unqualified columns
// (nil: only qualified ones and single-table statements resolve).
func inferArgs(sql string, cat *Catalog) (map[int]argBinding, []int, error) {
	tree, err := pgsql.Parse(sql)
	if err != nil {
		return nil, nil, err
	}
	s := newArgScope(tree, cat)
	pgsql.Walk(tree.ProtoReflect(), func(m protoreflect.Message) {
		switch n := m.Interface().(type) {
		case *pg_query.A_Expr:
			s.bindExpr(n)
		case *pg_query.UpdateStmt:
			s.bindTargets(rangeVarName(n.GetRelation()), n.GetTargetList())
		case *pg_query.InsertStmt:
			s.bindInsert(n)
		case *pg_query.SelectStmt:
			s.bindConst(n.GetLimitCount(), ProfileLimit)
			s.bindConst(n.GetLimitOffset(), ProfileOffset)
		}
	})
	return s.bound, pgsql.ParamNumbers(tree), nil
}

// argScope resolves column references of one statement to tables.
type argScope struct {
	cat    *Catalog
	tables []string          // the statement's tables, in order met
	alias  map[string]string // alias or table name → table
	bound  map[int]argBinding
}

func newArgScope(tree *pg_query.ParseResult, cat *Catalog) *argScope {
	s := &argScope{cat: cat, alias: map[string]string{}, bound: map[int]argBinding{}}
	pgsql.Walk(tree.ProtoReflect(), func(m protoreflect.Message) {
		rv, ok := m.Interface().(*pg_query.RangeVar)
		if !ok {
			return
		}
		name := normalizeTable(rangeVarName(rv))
		if _, seen := s.alias[name]; !seen {
			s.tables = append(s.tables, name)
		}
		s.alias[name] = name
		s.alias[rv.GetRelname()] = name
		if a := rv.GetAlias().GetAliasname(); a != "" {
			s.alias[a] = name
		}
	})
	return s
}

// param returns the number of the $n that node is, through casts
// ($1::bigint); 0 when it is something else.
func param(node *pg_query.Node) int {
	for node != nil {
		if tc := node.GetTypeCast(); tc != nil {
			node = tc.GetArg()
			continue
		}
		if p := node.GetParamRef(); p != nil {
			return int(p.GetNumber())
		}
		return 0
	}
	return 0
}

// column resolves a column reference (through casts) to its table.
func (s *argScope) column(node *pg_query.Node) (table, column string, ok bool) {
	for node.GetTypeCast() != nil {
		node = node.GetTypeCast().GetArg()
	}
	ref := node.GetColumnRef()
	if ref == nil {
		return "", "", false
	}
	var parts []string
	for _, f := range ref.GetFields() {
		if f.GetString_() == nil {
			return "", "", false // a.* or the like
		}
		parts = append(parts, f.GetString_().GetSval())
	}
	switch len(parts) {
	case 1:
		return s.owner(parts[0])
	case 2, 3:
		qual := strings.Join(parts[:len(parts)-1], ".")
		t, known := s.alias[qual]
		if !known {
			t = normalizeTable(qual)
		}
		return t, parts[len(parts)-1], true
	}
	return "", "", false
}

// owner finds the table of an unqualified column: the statement's only
// table, or the one table of the statement the catalog gives that column.
func (s *argScope) owner(col string) (string, string, bool) {
	if len(s.tables) == 1 {
		return s.tables[0], col, true
	}
	found := ""
	for _, t := range s.tables {
		if ct := s.cat.Table(t); ct != nil && ct.Column(col) != nil {
			if found != "" {
				return "", "", false // ambiguous: PostgreSQL would refuse it too
			}
			found = t
		}
	}
	return found, col, found != ""
}

func (s *argScope) bind(n int, b argBinding) {
	if _, done := s.bound[n]; n > 0 && !done {
		s.bound[n] = b
	}
}

func (s *argScope) bindConst(node *pg_query.Node, v any) {
	if n := param(node); n > 0 {
		s.bind(n, argBinding{constant: v, isConst: true})
	}
}

// bindExpr binds the parameters of col op $n, $n op col, col IN ($n, ...),
// col BETWEEN $n AND $m and col = ANY($n).
func (s *argScope) bindExpr(e *pg_query.A_Expr) {
	l, r := e.GetLexpr(), e.GetRexpr()
	if _, _, ok := s.column(l); !ok {
		l, r = r, l
	}
	t, col, ok := s.column(l)
	if !ok {
		return
	}
	switch e.GetKind() {
	case pg_query.A_Expr_Kind_AEXPR_OP_ANY, pg_query.A_Expr_Kind_AEXPR_OP_ALL:
		s.bind(param(r), argBinding{table: t, column: col, array: true})
		return
	}
	if list := r.GetList(); list != nil {
		for _, item := range list.GetItems() {
			s.bind(param(item), argBinding{table: t, column: col})
		}
		return
	}
	s.bind(param(r), argBinding{table: t, column: col})
}

// bindTargets binds SET col = $n of an UPDATE or ON CONFLICT DO UPDATE.
func (s *argScope) bindTargets(table string, targets []*pg_query.Node) {
	for _, node := range targets {
		rt := node.GetResTarget()
		if rt == nil || rt.GetName() == "" {
			continue
		}
		s.bind(param(rt.GetVal()), argBinding{table: normalizeTable(table), column: rt.GetName()})
	}
}

// bindInsert binds each VALUES item to the column it goes into: the
// column list, or the table's columns in order.
func (s *argScope) bindInsert(ins *pg_query.InsertStmt) {
	table := normalizeTable(rangeVarName(ins.GetRelation()))
	var cols []string
	for _, node := range ins.GetCols() {
		if rt := node.GetResTarget(); rt != nil {
			cols = append(cols, rt.GetName())
		}
	}
	if len(cols) == 0 {
		if ct := s.cat.Table(table); ct != nil {
			cols = ct.ColumnNames()
		}
	}
	upsert := ins.GetOnConflictClause() != nil // meant to meet existing keys
	for _, row := range ins.GetSelectStmt().GetSelectStmt().GetValuesLists() {
		for i, item := range row.GetList().GetItems() {
			if i >= len(cols) {
				continue
			}
			b := argBinding{table: table, column: cols[i]}
			if !upsert {
				b.fresh = s.freshKey(table, cols[i])
			}
			s.bind(param(item), b)
		}
	}
	if oc := ins.GetOnConflictClause(); oc != nil {
		s.bindTargets(table, oc.GetTargetList())
	}
}

// freshKey is a generator of new values for a single-column primary key
// of an integer, uuid or text type (numbers far above loaded keys, random
// UUIDs), nil for other columns.
func (s *argScope) freshKey(table, column string) *ValueSpec {
	t := s.cat.Table(table)
	if t == nil || len(t.PrimaryKey()) != 1 || t.PrimaryKey()[0] != column {
		return nil
	}
	typ := t.Column(column).Type
	num := func(lo, hi float64) *ValueSpec { return &ValueSpec{Gen: "number", Min: &lo, Max: &hi} }
	switch {
	case typ == "bigint" || typ == "bigserial" || typ == "serial8":
		return num(1<<40, 1<<53-1)
	case typ == "integer" || typ == "serial" || typ == "serial4":
		return num(1_000_000_000, math.MaxInt32)
	case typ == "uuid" || typ == "text" || typ == "varchar":
		return &ValueSpec{Gen: "uuid"}
	}
	return nil
}

// String shows a binding as a scenario would write it.
func (b argBinding) String() string {
	if b.isConst {
		return fmt.Sprintf("value %v", b.constant)
	}
	if b.fresh != nil {
		return "new " + b.fresh.Gen
	}
	if b.array {
		return fmt.Sprintf("array of %s.%s", b.table, b.column)
	}
	return b.table + "." + b.column
}
