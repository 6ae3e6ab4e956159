package scenarios

import (
	"maps"
	"slices"
	"strings"

	"github.com/rehearse/rehearse/internal/pgsql"
)

// This file checks how the application talks to the database: workload
// clients (protocol, pool), transaction entries, background sessions and
// max_pool_wait.

// checkClientsAndBackground runs after checkTraffic and checkMigration.
func (c *checker) checkClientsAndBackground() {
	for _, w := range c.s.Traffic.Workloads() {
		c.checkClient(root().key("traffic").key(w.Name), w.Workload)
	}
	c.checkBackground()
	if d := c.s.Thresholds.MaxPoolWait; d != nil {
		c.checkNonNegative(root().key("thresholds").key("max_pool_wait"), *d)
	}
}

// checkClient checks client: and makes Connections the pool size, so that
// everything downstream reads one number.
func (c *checker) checkClient(p keyPath, w *Workload) {
	cl := w.Client
	if cl == nil {
		return
	}
	cp := p.key("client")
	if cl.Protocol != "" && !contains(Protocols, cl.Protocol) {
		c.addf(cp.key("protocol"), "unknown protocol %q%s; use %s", cl.Protocol, didYouMean(cl.Protocol, Protocols), strings.Join(Protocols, ", "))
	}
	if cl.Pool == 0 && !c.d.has(cp.key("pool")) {
		return
	}
	switch {
	case cl.Pool < 1 || cl.Pool > MaxConnections:
		c.addf(cp.key("pool"), "must be between 1 and %d, got %d", MaxConnections, cl.Pool)
	case c.d.has(p.key("connections")) && w.Connections != cl.Pool:
		c.addf(p.key("connections"), "connections (%d) and client.pool (%d) are the same setting, the pool size: keep client.pool", w.Connections, cl.Pool)
	default:
		w.Connections = cl.Pool
	}
}

// checkQueryBody checks a query's sql, or its transaction.
func (c *checker) checkQueryBody(p keyPath, q *Query) {
	if !q.IsTransaction() && !c.d.has(p.key("transaction")) {
		if c.d.has(p.key("think")) || q.Think != 0 {
			c.addf(p.key("think"), "applies to transactions only: list the statements under transaction")
		}
		c.checkQuerySQL(p, q)
		return
	}
	if strings.TrimSpace(q.SQL) != "" {
		c.addf(p.key("sql"), "give either sql (one statement) or transaction (a list of statements), not both")
	}
	c.checkNonNegative(p.key("think"), q.Think)
	tp := p.key("transaction")
	if len(q.Transaction) == 0 {
		c.addf(tp, "empty; give the statements of the transaction, each with name and sql")
		return
	}
	used := map[int]bool{}
	names := map[string]int{}
	complete := true
	for i, st := range q.Transaction {
		complete = c.checkTxStatement(tp.idx(i), i, st, names, used) && complete
	}
	if complete { // which args are used is unknown when a statement does not parse
		c.checkTxArgs(p, q, used)
	}
}

// checkTxStatement checks one statement and adds its parameters to used;
// false when its SQL could not be parsed.
func (c *checker) checkTxStatement(p keyPath, i int, st *TxStatement, names map[string]int, used map[int]bool) bool {
	if st == nil {
		c.addf(p, "empty statement; give name and sql")
		return true
	}
	switch prev, dup := names[st.Name]; {
	case strings.TrimSpace(st.Name) == "":
		c.addf(p.key("name"), "missing; give the statement a name (it labels the results)")
	case dup:
		c.addf(p.key("name"), "duplicate statement name %q (also statement %d)", st.Name, prev)
	default:
		names[st.Name] = i
	}
	sp := p.key("sql")
	if strings.TrimSpace(st.SQL) == "" {
		c.addf(sp, "missing; give the statement to run")
		return true
	}
	st.src = c.sqlSource(sp, st.src)
	tree, err := pgsql.Parse(st.SQL)
	if err != nil {
		c.addSQLError(sp, st.src, st.SQL, err)
		return false
	}
	if n := len(tree.GetStmts()); n != 1 {
		c.addf(sp, "must be one statement, got %d", n)
		return false
	}
	if tree.GetStmts()[0].GetStmt().GetTransactionStmt() != nil {
		c.addf(sp, "transaction control (BEGIN, COMMIT, ...) is not allowed: the entry already runs its statements in one transaction")
	}
	for _, n := range pgsql.ParamNumbers(tree) {
		used[n] = true
	}
	return true
}

// checkTxArgs checks that the statements' parameters and the entry's args
// match: every $N names an arg, and every arg is used somewhere.
func (c *checker) checkTxArgs(p keyPath, q *Query, used map[int]bool) {
	ap := p.key("args")
	if !c.d.lookup(ap).complete {
		ap = p.key("transaction")
	}
	highest := 0
	for n := range used {
		highest = max(highest, n)
	}
	if highest > len(q.Args) {
		c.addf(ap, "the transaction uses $%d, so it needs %s, got %d", highest, plural(highest, "arg"), len(q.Args))
	}
	for i := range q.Args {
		if !used[i+1] {
			c.addf(ap.idx(i), "no statement of the transaction uses $%d", i+1)
		}
	}
}

func (c *checker) checkBackground() {
	p := root().key("background")
	names := map[string]int{}
	for i, b := range c.s.Background {
		bp := p.idx(i)
		if b == nil {
			c.addf(bp, "empty entry; give name and sql")
			continue
		}
		switch prev, dup := names[b.Name]; {
		case strings.TrimSpace(b.Name) == "":
			c.addf(bp.key("name"), "missing; give the session a name (it labels the results and its application_name)")
		case dup:
			c.addf(bp.key("name"), "duplicate background name %q (also background[%d])", b.Name, prev)
		default:
			names[b.Name] = i
		}
		c.checkBackgroundTrigger(bp, b)
		c.checkNonNegative(bp.key("at"), b.At)
		c.checkNonNegative(bp.key("every"), b.Every)
		c.checkNonNegative(bp.key("hold"), b.Hold)
		c.checkIsolation(bp, b)
		c.checkBackgroundSQL(bp.key("sql"), b)
	}
}

func (c *checker) checkBackgroundTrigger(p keyPath, b *Background) {
	switch {
	case b.StartAt != "" && b.StartAfter != "":
		c.addf(p.key("start_after"), "give either start_at (a phase begins) or start_after (a step has finished), not both")
	case b.StartAfter != "":
		c.checkStepRef(p.key("start_after"), b.StartAfter)
	case b.StartAt != "" && b.StartAt != PhaseBaseline && b.StartAt != PhaseCooldown:
		if _, ok := c.steps[b.StartAt]; !ok {
			phases := append([]string{PhaseBaseline, PhaseCooldown}, slices.Sorted(maps.Keys(c.steps))...)
			c.addf(p.key("start_at"), "no phase named %q%s: use baseline, cooldown or a step name", b.StartAt, didYouMean(b.StartAt, phases))
		}
	}
}

func (c *checker) checkIsolation(p keyPath, b *Background) {
	if b.Isolation == "" {
		return
	}
	ip := p.key("isolation")
	if !contains(Isolations, b.Isolation) {
		c.addf(ip, "unknown isolation %q%s; use %s", b.Isolation, didYouMean(b.Isolation, Isolations), strings.Join(Isolations, ", "))
		return
	}
	if b.Isolation != IsolationReadCommitted && b.Hold == 0 {
		c.addf(ip, "a snapshot lives as long as its transaction: add hold (how long the transaction stays open after the statement)")
	}
}

func (c *checker) checkBackgroundSQL(p keyPath, b *Background) {
	if strings.TrimSpace(b.SQL) == "" {
		c.addf(p, "missing; give the statement the session runs")
		return
	}
	b.src = c.sqlSource(p, b.src)
	tree, err := pgsql.Parse(b.SQL)
	if err != nil {
		c.addSQLError(p, b.src, b.SQL, err)
		return
	}
	if n := len(tree.GetStmts()); n != 1 {
		c.addf(p, "must be one statement, got %d", n)
		return
	}
	stmt := tree.GetStmts()[0].GetStmt()
	if stmt.GetTransactionStmt() != nil {
		c.addf(p, "transaction control (BEGIN, COMMIT, ...) is not allowed: use hold to keep a transaction open after the statement")
	}
	if b.Hold > 0 {
		if reason := noTransactionReason(stmt); reason != "" {
			c.addf(p, "%s cannot run inside a transaction: remove hold", reason)
		}
	}
	if nums := pgsql.ParamNumbers(tree); len(nums) > 0 {
		c.addf(p, "a background statement has no args: write the values into the SQL instead of %s", formatParams(nums))
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
