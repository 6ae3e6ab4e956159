package datagen

import (
	"math"
	"strconv"
	"strings"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// rule is what simple CHECK constraints say about one column's values. The
// generators of columns the scenario does not describe keep inside it.
type rule struct {
	// lo and hi bound numbers; loIncl and hiIncl say whether the bound
	// itself is allowed.
	lo, hi         float64
	hasLo, hasHi   bool
	loIncl, hiIncl bool
	// loTime and hiTime bound dates and timestamps (zero: none).
	loTime, hiTime time.Time
	// values are the allowed values as written in the constraint; nil: any.
	values []string
	// minLen and maxLen bound the length in characters (0: none).
	minLen, maxLen int
	notNull        bool
}

func (r *rule) setLo(v float64, incl bool) {
	if !r.hasLo || v > r.lo || v == r.lo && !incl {
		r.lo, r.loIncl, r.hasLo = v, incl, true
	}
}

func (r *rule) setHi(v float64, incl bool) {
	if !r.hasHi || v < r.hi || v == r.hi && !incl {
		r.hi, r.hiIncl, r.hasHi = v, incl, true
	}
}

func (r *rule) setValues(vs []string) {
	if r.values == nil {
		r.values = vs
		return
	}
	var keep []string
	for _, v := range r.values {
		for _, w := range vs {
			if v == w {
				keep = append(keep, v)
				break
			}
		}
	}
	r.values = keep
	if keep == nil {
		r.values = []string{}
	}
}

func (r *rule) setTime(t time.Time, lower, incl bool) {
	if !incl { // timestamps are in microseconds
		if lower {
			t = t.Add(time.Microsecond)
		} else {
			t = t.Add(-time.Microsecond)
		}
	}
	if lower && (r.loTime.IsZero() || t.After(r.loTime)) {
		r.loTime = t
	}
	if !lower && (r.hiTime.IsZero() || t.Before(r.hiTime)) {
		r.hiTime = t
	}
}

// checkParser reads one CHECK expression into rules per column.
type checkParser struct {
	// value is the column that VALUE stands for in a domain's check.
	value string
	// isTime tells which columns hold dates or timestamps.
	isTime func(col string) bool
	rules  map[string]*rule
	now    time.Time
}

// parseCheck reads a constraint definition such as "CHECK ((price > 0))"
// and adds what it says to rules. understood is false when some part of it
// is beyond the simple forms datagen knows (x op constant, BETWEEN, IN,
// length(x) op n, x IS NOT NULL, AND, and "x IS NULL OR ..."): the rows are
// then only checked by the constraint itself.
func parseCheck(def, value string, isTime func(string) bool, rules map[string]*rule, now time.Time) (understood bool) {
	expr := strings.TrimSpace(def)
	expr = strings.TrimPrefix(expr, "CHECK ")
	for _, suffix := range []string{" NOT VALID", " NO INHERIT"} {
		expr = strings.TrimSuffix(expr, suffix)
	}
	tree, err := pg_query.Parse("SELECT " + expr)
	if err != nil || len(tree.GetStmts()) != 1 {
		return false
	}
	sel := tree.GetStmts()[0].GetStmt().GetSelectStmt()
	if sel == nil || len(sel.GetTargetList()) != 1 {
		return false
	}
	p := &checkParser{value: value, isTime: isTime, rules: rules, now: now}
	return p.expr(sel.GetTargetList()[0].GetResTarget().GetVal())
}

func (p *checkParser) rule(col string) *rule {
	r := p.rules[col]
	if r == nil {
		r = &rule{}
		p.rules[col] = r
	}
	return r
}

func (p *checkParser) expr(n *pg_query.Node) bool {
	switch {
	case n.GetBoolExpr() != nil:
		return p.boolExpr(n.GetBoolExpr())
	case n.GetNullTest() != nil:
		nt := n.GetNullTest()
		col, ok := p.column(nt.GetArg())
		if !ok || nt.GetNulltesttype() != pg_query.NullTestType_IS_NOT_NULL {
			return false
		}
		p.rule(col).notNull = true
		return true
	case n.GetAExpr() != nil:
		return p.aExpr(n.GetAExpr())
	}
	return false
}

func (p *checkParser) boolExpr(b *pg_query.BoolExpr) bool {
	switch b.GetBoolop() {
	case pg_query.BoolExprType_AND_EXPR:
		ok := true
		for _, arg := range b.GetArgs() {
			ok = p.expr(arg) && ok
		}
		return ok
	case pg_query.BoolExprType_OR_EXPR:
		// "x IS NULL OR cond(x)": generated values are non-NULL, so cond
		// must hold for them.
		var rest []*pg_query.Node
		for _, arg := range b.GetArgs() {
			if nt := arg.GetNullTest(); nt != nil && nt.GetNulltesttype() == pg_query.NullTestType_IS_NULL {
				if _, ok := p.column(nt.GetArg()); ok {
					continue
				}
			}
			rest = append(rest, arg)
		}
		if len(rest) == 1 && len(rest) < len(b.GetArgs()) {
			return p.expr(rest[0])
		}
	}
	return false
}

func (p *checkParser) aExpr(a *pg_query.A_Expr) bool {
	op := opName(a)
	switch a.GetKind() {
	case pg_query.A_Expr_Kind_AEXPR_OP:
		return p.comparison(op, a.GetLexpr(), a.GetRexpr())
	case pg_query.A_Expr_Kind_AEXPR_OP_ANY, pg_query.A_Expr_Kind_AEXPR_IN:
		col, ok := p.column(a.GetLexpr())
		if !ok || op != "=" {
			return false
		}
		vals, ok := p.list(a.GetRexpr())
		if !ok {
			return false
		}
		p.rule(col).setValues(vals)
		return true
	case pg_query.A_Expr_Kind_AEXPR_BETWEEN:
		bounds := a.GetRexpr().GetList().GetItems()
		return len(bounds) == 2 && p.comparison(">=", a.GetLexpr(), bounds[0]) && p.comparison("<=", a.GetLexpr(), bounds[1])
	}
	return false
}

func opName(a *pg_query.A_Expr) string {
	names := a.GetName()
	if len(names) == 0 {
		return ""
	}
	return names[len(names)-1].GetString_().GetSval()
}

var flipped = map[string]string{"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "<>": "<>", "!=": "<>"}

// comparison handles "x op constant", "constant op x" and
// "length(x) op n".
func (p *checkParser) comparison(op string, l, r *pg_query.Node) bool {
	if _, isCol := p.column(l); !isCol && !isLength(l) {
		l, r, op = r, l, flipped[op]
	}
	if fc := lengthCall(l); fc != nil {
		col, ok := p.column(fc.GetArgs()[0])
		n, isNum := p.number(r)
		if !ok || !isNum {
			return false
		}
		return p.length(col, op, n)
	}
	col, ok := p.column(l)
	if !ok {
		return false
	}
	if p.isTime(col) {
		t, ok := p.time(r)
		if !ok {
			return false
		}
		return p.timeBound(col, op, t)
	}
	if s, ok := p.text(r); ok && s == "" && (op == "<>" || op == "!=") {
		p.rule(col).minLen = max(p.rule(col).minLen, 1)
		return true
	}
	if op == "=" {
		if s, ok := p.text(r); ok {
			p.rule(col).setValues([]string{s})
			return true
		}
	}
	v, ok := p.number(r)
	if !ok {
		return false
	}
	rl := p.rule(col)
	switch op {
	case ">":
		rl.setLo(v, false)
	case ">=":
		rl.setLo(v, true)
	case "<":
		rl.setHi(v, false)
	case "<=":
		rl.setHi(v, true)
	case "=":
		rl.setValues([]string{strconv.FormatFloat(v, 'f', -1, 64)})
	default:
		return false
	}
	return true
}

func (p *checkParser) length(col, op string, n float64) bool {
	r := p.rule(col)
	switch op {
	case "<":
		n--
		fallthrough
	case "<=":
		if r.maxLen == 0 || int(n) < r.maxLen {
			r.maxLen = max(int(n), 0)
			if r.maxLen == 0 {
				r.values = []string{""}
			}
		}
	case ">":
		n++
		fallthrough
	case ">=":
		r.minLen = max(r.minLen, int(n))
	case "=":
		r.minLen, r.maxLen = max(r.minLen, int(n)), int(n)
	default:
		return false
	}
	return true
}

func (p *checkParser) timeBound(col, op string, t time.Time) bool {
	r := p.rule(col)
	switch op {
	case ">", ">=":
		r.setTime(t, true, op == ">=")
	case "<", "<=":
		r.setTime(t, false, op == "<=")
	default:
		return false
	}
	return true
}

func isLength(n *pg_query.Node) bool { return lengthCall(n) != nil }

// lengthCall returns a call of length(x) or char_length(x), else nil.
func lengthCall(n *pg_query.Node) *pg_query.FuncCall {
	fc := n.GetFuncCall()
	if fc == nil || len(fc.GetArgs()) != 1 {
		return nil
	}
	names := fc.GetFuncname()
	switch names[len(names)-1].GetString_().GetSval() {
	case "length", "char_length", "character_length":
		return fc
	}
	return nil
}

// column returns the column a node names, looking through casts.
func (p *checkParser) column(n *pg_query.Node) (string, bool) {
	for n.GetTypeCast() != nil {
		n = n.GetTypeCast().GetArg()
	}
	fields := n.GetColumnRef().GetFields()
	if len(fields) != 1 || fields[0].GetString_() == nil {
		return "", false
	}
	name := fields[0].GetString_().GetSval()
	if p.value != "" {
		if name != "value" {
			return "", false
		}
		return p.value, true
	}
	return name, true
}

// constant returns a constant's text, looking through casts and a unary minus.
func (p *checkParser) constant(n *pg_query.Node) (string, bool) {
	for n.GetTypeCast() != nil {
		n = n.GetTypeCast().GetArg()
	}
	if a := n.GetAExpr(); a != nil && a.GetLexpr() == nil && opName(a) == "-" {
		s, ok := p.constant(a.GetRexpr())
		if !ok || strings.HasPrefix(s, "-") {
			return "", false
		}
		return "-" + s, true
	}
	c := n.GetAConst()
	if c == nil || c.GetIsnull() {
		return "", false
	}
	switch {
	case c.GetIval() != nil:
		return strconv.FormatInt(int64(c.GetIval().GetIval()), 10), true
	case c.GetFval() != nil:
		return c.GetFval().GetFval(), true
	case c.GetSval() != nil:
		return c.GetSval().GetSval(), true
	case c.GetBoolval() != nil:
		return strconv.FormatBool(c.GetBoolval().GetBoolval()), true
	}
	return "", false
}

func (p *checkParser) text(n *pg_query.Node) (string, bool) { return p.constant(n) }

func (p *checkParser) number(n *pg_query.Node) (float64, bool) {
	s, ok := p.constant(n)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil && !math.IsNaN(v) && !math.IsInf(v, 0)
}

// time reads a date or timestamp constant, or the clock (now(),
// CURRENT_TIMESTAMP, CURRENT_DATE).
func (p *checkParser) time(n *pg_query.Node) (time.Time, bool) {
	for n.GetTypeCast() != nil {
		n = n.GetTypeCast().GetArg()
	}
	if n.GetSqlvalueFunction() != nil {
		return p.now, true
	}
	if fc := n.GetFuncCall(); fc != nil && len(fc.GetArgs()) == 0 {
		names := fc.GetFuncname()
		switch names[len(names)-1].GetString_().GetSval() {
		case "now", "clock_timestamp", "statement_timestamp", "transaction_timestamp":
			return p.now, true
		}
		return time.Time{}, false
	}
	s, ok := p.constant(n)
	if !ok {
		return time.Time{}, false
	}
	for _, layout := range []string{time.DateOnly, "2006-01-02 15:04:05", "2006-01-02 15:04:05-07", "2006-01-02 15:04:05.999999-07", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// list reads ARRAY[...] or (a, b, c) of constants.
func (p *checkParser) list(n *pg_query.Node) ([]string, bool) {
	for n.GetTypeCast() != nil {
		n = n.GetTypeCast().GetArg()
	}
	var items []*pg_query.Node
	switch {
	case n.GetAArrayExpr() != nil:
		items = n.GetAArrayExpr().GetElements()
	case n.GetList() != nil:
		items = n.GetList().GetItems()
	default:
		return nil, false
	}
	vals := make([]string, 0, len(items))
	for _, it := range items {
		s, ok := p.constant(it)
		if !ok {
			return nil, false
		}
		vals = append(vals, s)
	}
	return vals, true
}
