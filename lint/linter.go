package lint

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/rehearse/rehearse/internal/pglock"
	"github.com/rehearse/rehearse/internal/pgsql"
	"github.com/rehearse/rehearse/scenarios"
)

// linter follows the schema through the steps and gathers findings.
type linter struct {
	opts    options
	cat     *scenarios.Catalog
	checks  *notNullChecks
	queries []*usage
	objects *objects
	// background are the sessions beside the traffic, with their locks.
	background []heldBy
	findings   []Finding
}

func newLinter(steps []*scenarios.Step, o options) *linter {
	l := &linter{opts: o, checks: newNotNullChecks(), objects: newObjects()}
	l.cat, _ = scenarios.ParseSchema(o.schema)
	if l.cat == nil {
		l.cat, _ = scenarios.ParseSchema("")
	}
	if stmts, err := pgsql.Split(o.schema); err == nil {
		for _, s := range stmts {
			if n := parseOne(s.SQL); n != nil {
				l.checks.track(n)
				l.objects.track(n)
			}
		}
	}
	l.queries = stepUsages(steps, o.queries)
	l.background = backgroundLocks(o.background)
	return l
}

// stepUsages parses the queries and resolves the step each stops after.
func stepUsages(steps []*scenarios.Step, queries []Query) []*usage {
	index := map[string]int{}
	for i, st := range steps {
		if st != nil {
			index[st.Name] = i
		}
	}
	var out []*usage
	for _, q := range queries {
		u, ok := parseUsage(q)
		if !ok {
			continue
		}
		u.stopAfter = -1
		if i, ok := index[q.StopAfter]; ok && q.StopAfter != "" {
			u.stopAfter = i
		}
		out = append(out, u)
	}
	return out
}

// stepState is what the linter knows part way through a step.
type stepState struct {
	index   int
	step    *scenarios.Step
	created map[string]bool // tables created earlier in this step: empty, nobody waits on them
	// lockTimeout is set by the step's lock_timeout or a SET lock_timeout.
	lockTimeout   bool
	warnedTimeout bool
	inTx          bool
	held          *heldLock // the first write-blocking lock of the current transaction
	warnedHeld    bool
	// begin is the explicit BEGIN of a step that runs outside a
	// transaction, while that transaction is open; nil otherwise.
	begin *scenarios.Statement
	// statementTimeout is set by a SET statement_timeout.
	statementTimeout, warnedStatementTimeout bool

	// The current statement: its text, tree, position and predicted locks.
	stmt  scenarios.Statement
	node  *pg_query.Node
	pos   scenarios.Pos
	locks []lockOn
	// strongestStrong is this statement's strongest write-blocking lock on
	// an existing table; nil when it takes none.
	strongestStrong *lockOn
	// first is the index in linter.findings of this statement's first finding.
	first int
	// last is set for the step's last statement.
	last bool
}

type heldLock struct {
	lockOn
	line int
}

func (l *linter) step(i int, st *scenarios.Step) {
	if st.Batch != nil {
		return // a batch runs one DML statement per key range, each in its own transaction
	}
	stmts, err := pgsql.Split(st.SQL)
	if err != nil {
		return
	}
	s := &stepState{index: i, step: st, created: map[string]bool{}, lockTimeout: st.LockTimeout > 0, inTx: st.InTransaction()}
	for i, stmt := range stmts {
		n := parseOne(stmt.SQL)
		if n == nil {
			continue
		}
		s.stmt, s.node, s.pos, s.last = stmt, n, st.SQLPos(stmt.Offset), i == len(stmts)-1
		l.statement(s)
	}
}

// statement applies every rule to one statement, then updates what the
// linter knows.
func (l *linter) statement(s *stepState) {
	n := s.node
	if on, set := setsSetting(n, "lock_timeout"); set {
		s.lockTimeout = on
	}
	if on, set := setsSetting(n, "statement_timeout"); set {
		s.statementTimeout = on
	}
	s.locks = l.objects.onTables(predictLocks(n), n)
	s.strongestStrong = nil
	for i, lk := range s.locks {
		if lk.mode.BlocksWrites() && !s.created[lk.relation] && (s.strongestStrong == nil || lk.mode > s.strongestStrong.mode) {
			s.strongestStrong = &s.locks[i]
		}
	}
	s.first = len(l.findings)
	for _, r := range registry {
		if l.opts.on(r) {
			r.check(l, s)
		}
	}
	if ts := n.GetTransactionStmt(); ts != nil {
		l.transactionControl(s, ts)
	}
	l.track(s)
}

func (l *linter) transactionControl(s *stepState, ts *pg_query.TransactionStmt) {
	switch ts.GetKind() {
	case pg_query.TransactionStmtKind_TRANS_STMT_BEGIN, pg_query.TransactionStmtKind_TRANS_STMT_START:
		if !s.inTx {
			stmt := s.stmt
			s.begin = &stmt
		}
		s.inTx = true
	case pg_query.TransactionStmtKind_TRANS_STMT_COMMIT, pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK:
		if !s.step.InTransaction() {
			s.inTx, s.held, s.warnedHeld, s.begin = false, nil, false, nil
		}
	}
}

// track updates the catalog, the NOT NULL checks and the tables created in
// this step.
func (l *linter) track(s *stepState) {
	if cs := s.node.GetCreateStmt(); cs != nil {
		s.created[relName(cs.GetRelation())] = true
	}
	if ct := s.node.GetCreateTableAsStmt(); ct != nil {
		s.created[relName(ct.GetInto().GetRel())] = true
	}
	l.checks.track(s.node)
	l.objects.track(s.node)
	_ = l.cat.Apply(s.stmt.SQL)
}

// add records a finding about the current statement and returns it, for
// the caller to state its Effect.
func (l *linter) add(s *stepState, rule string, sev Severity, rel string, mode pglock.Mode, msg, safe string) *Finding {
	l.findings = append(l.findings, Finding{Rule: rule, Severity: sev, Step: s.step.Name, Statement: s.stmt.SQL,
		File: s.pos.File, Line: s.pos.Line, Column: s.pos.Col, Relation: rel, Lock: mode.String(), Message: msg, Safe: safe})
	return &l.findings[len(l.findings)-1]
}

// note records a finding that predicts no lock of note.
func (l *linter) note(s *stepState, rule string, sev Severity, rel, msg, safe string) *Finding {
	return l.add(s, rule, sev, rel, pglock.None, msg, safe)
}

// alterTable returns the table, predicted lock and subcommands of an ALTER
// TABLE on a table that existed before this step; ok is false for other
// statements and for tables created in this step (empty: nothing waits).
func (s *stepState) alterTable() (rel string, mode pglock.Mode, cmds []*pg_query.AlterTableCmd, ok bool) {
	at := s.node.GetAlterTableStmt()
	if at == nil {
		return "", pglock.None, nil, false
	}
	rel = relName(at.GetRelation())
	if s.created[rel] {
		return "", pglock.None, nil, false
	}
	for _, c := range at.GetCmds() {
		cmds = append(cmds, c.GetAlterTableCmd())
	}
	return rel, lockFor(s.locks, rel), cmds, true
}
