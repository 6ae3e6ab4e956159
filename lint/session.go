package lint

import (
	"fmt"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/rehearse/rehearse/internal/pgsql"
)

// slowRules are the rules whose statements scan, rewrite or build an index
// on a table that has rows.
var slowRules = map[string]bool{
	RuleIndexNotConcurrent: true, RuleAlterColumnType: true, RuleSetNotNull: true,
	RuleConstraintNotValid: true, RuleVolatileDefault: true, RuleUniqueConstraint: true,
}

// missingLockTimeout reports the first statement of a step that takes a
// write-blocking lock on an existing table while no lock_timeout is set.
func (l *linter) missingLockTimeout(s *stepState) {
	lk := s.strongestStrong
	if lk == nil || s.lockTimeout || s.warnedTimeout {
		return
	}
	s.warnedTimeout = true
	l.add(s, RuleMissingLockTimeout, Warning, lk.relation, lk.mode,
		fmt.Sprintf("this step takes %s lock on %s with no lock_timeout: if a long query or an idle transaction holds any lock on %s, the statement waits for it, and every query on %s queues behind the waiting statement.",
			lk.mode.article(), lk.relation, lk.relation, lk.relation),
		"set a lock_timeout for the step (lock_timeout: 2s in the scenario, or SET lock_timeout = '2s' at the top of the migration file) and retry the migration when it times out.")
}

// strongLockHeld reports a transaction that, holding a write-blocking lock,
// goes on to slow work or to lock another table. slow says whether this
// statement scans, rewrites or updates rows.
func (l *linter) strongLockHeld(s *stepState, locks []lockOn, slow bool) {
	if !s.inTx {
		return
	}
	if h := s.held; h != nil && !s.warnedHeld {
		why := ""
		if slow {
			why = "does slow work (it scans, rewrites or updates a table)"
		}
		for _, lk := range locks {
			if lk.relation != h.relation && !s.created[lk.relation] && lk.mode.blocksWrites() {
				why = fmt.Sprintf("needs %s lock on %s, and waits for it while %s stays locked", lk.mode.article(), lk.relation, h.relation)
				break
			}
		}
		if why != "" {
			s.warnedHeld = true
			l.findings = append(l.findings, Finding{Rule: RuleStrongLockHeld, Severity: Warning, Step: s.step.Name,
				Statement: s.stmt.SQL, File: s.pos.File, Line: s.pos.Line, Column: s.pos.Col, Relation: h.relation, Lock: h.mode.String(),
				Message: fmt.Sprintf("%s has been locked %s since line %d of this transaction; this statement %s, so every query on %s waits for it as well.",
					h.relation, h.mode.words(), h.line, why, h.relation),
				Safe: "commit right after the statement that takes the strong lock: put backfills, index builds, validation and changes to other tables in steps (migration files) of their own."})
		}
	}
	if s.held == nil && s.strongestStrong != nil {
		s.held = &heldLock{lockOn: *s.strongestStrong, line: s.pos.Line}
	}
}

// slowDMLTarget returns the table of an UPDATE, DELETE or INSERT ... SELECT,
// whose time grows with the rows they touch; "" for other statements.
func slowDMLTarget(n *pg_query.Node) string {
	switch {
	case n.GetUpdateStmt() != nil:
		return relName(n.GetUpdateStmt().GetRelation())
	case n.GetDeleteStmt() != nil:
		return relName(n.GetDeleteStmt().GetRelation())
	case n.GetInsertStmt() != nil && len(n.GetInsertStmt().GetSelectStmt().GetSelectStmt().GetFromClause()) > 0:
		return relName(n.GetInsertStmt().GetRelation())
	}
	return ""
}

// setsLockTimeout reports whether n sets lock_timeout and whether to a
// value other than 0 (SET, SET LOCAL, RESET, set_config()).
func setsLockTimeout(n *pg_query.Node) (on, set bool) {
	if vs := n.GetVariableSetStmt(); vs != nil && strings.EqualFold(vs.GetName(), "lock_timeout") {
		if vs.GetKind() != pg_query.VariableSetKind_VAR_SET_VALUE || len(vs.GetArgs()) == 0 {
			return false, true
		}
		return !isZero(vs.GetArgs()[0]), true
	}
	pgsql.Walk(n.ProtoReflect(), func(m protoreflect.Message) {
		fc, ok := m.Interface().(*pg_query.FuncCall)
		if !ok || funcName(fc) != "set_config" || len(fc.GetArgs()) < 2 {
			return
		}
		if strings.EqualFold(fc.GetArgs()[0].GetAConst().GetSval().GetSval(), "lock_timeout") {
			on, set = !isZero(fc.GetArgs()[1]), true
		}
	})
	return on, set
}

// isZero reports a setting value of 0 ('0', 0, '0ms').
func isZero(n *pg_query.Node) bool {
	c := n.GetAConst()
	if c == nil {
		return false
	}
	if iv := c.GetIval(); iv != nil {
		return iv.GetIval() == 0
	}
	if sv := c.GetSval(); sv != nil {
		v := strings.TrimLeft(strings.TrimSpace(sv.GetSval()), "0")
		return v == "" || v == "s" || v == "ms" || v == "min"
	}
	return false
}

func funcName(fc *pg_query.FuncCall) string {
	names := fc.GetFuncname()
	if len(names) == 0 {
		return ""
	}
	return strings.ToLower(names[len(names)-1].GetString_().GetSval())
}
