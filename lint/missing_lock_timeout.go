package lint

import (
	"fmt"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/rehearse/rehearse/internal/pgsql"
)

// checkMissingLockTimeout reports the first statement of a step that takes
// a write-blocking lock on an existing table while no lock_timeout is set.
func checkMissingLockTimeout(l *linter, s *stepState) {
	lk := s.strongestStrong
	if lk == nil || s.lockTimeout || s.warnedTimeout {
		return
	}
	s.warnedTimeout = true
	l.add(s, RuleMissingLockTimeout, Warning, lk.relation, lk.mode,
		fmt.Sprintf("this step takes %s lock on %s with no lock_timeout: if a long query or an idle transaction holds any lock on %s, the statement waits for it, and every query on %s queues behind the waiting statement.",
			lk.mode.Article(), lk.relation, lk.relation, lk.relation),
		"set a lock_timeout for the step (lock_timeout: 2s in the scenario, or SET lock_timeout = '2s' at the top of the migration file) and retry the migration when it times out.").Effect = EffectQueues
}

// setsSetting reports whether n sets the setting name (lock_timeout,
// statement_timeout) and whether to a value other than 0 (SET, SET LOCAL,
// RESET, set_config()).
func setsSetting(n *pg_query.Node, name string) (on, set bool) {
	if vs := n.GetVariableSetStmt(); vs != nil && strings.EqualFold(vs.GetName(), name) {
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
		if strings.EqualFold(fc.GetArgs()[0].GetAConst().GetSval().GetSval(), name) {
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
