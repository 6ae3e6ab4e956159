package lint

import (
	"fmt"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/rehearse/rehearse/internal/pgsql"
	"github.com/rehearse/rehearse/scenarios"
)

// linter follows the schema through the steps and gathers findings.
type linter struct {
	opts     options
	cat      *scenarios.Catalog
	checks   *notNullChecks
	queries  []*usage
	findings []Finding
}

func newLinter(steps []*scenarios.Step, o options) *linter {
	l := &linter{opts: o, checks: newNotNullChecks()}
	l.cat, _ = scenarios.ParseSchema(o.schema)
	if l.cat == nil {
		l.cat, _ = scenarios.ParseSchema("")
	}
	if stmts, err := pgsql.Split(o.schema); err == nil {
		for _, s := range stmts {
			if n := parseOne(s.SQL); n != nil {
				l.checks.track(n)
			}
		}
	}
	index := map[string]int{}
	for i, st := range steps {
		if st != nil {
			index[st.Name] = i
		}
	}
	for _, q := range o.queries {
		u, ok := parseUsage(q)
		if !ok {
			continue
		}
		u.stopAfter = -1
		if i, ok := index[q.StopAfter]; ok && q.StopAfter != "" {
			u.stopAfter = i
		}
		l.queries = append(l.queries, u)
	}
	return l
}

func parseOne(sql string) *pg_query.Node {
	tree, err := pg_query.Parse(sql)
	if err != nil || len(tree.GetStmts()) != 1 {
		return nil
	}
	return tree.GetStmts()[0].GetStmt()
}

// stepState is what the linter knows part way through a step.
type stepState struct {
	index   int
	step    *scenarios.Step
	created map[string]bool // tables created earlier in this step: empty, nobody waits on them
	// lockTimeout is set by the step's lock_timeout or a SET lock_timeout.
	lockTimeout     bool
	warnedTimeout   bool
	inTx            bool
	held            *heldLock // the first write-blocking lock of the current transaction
	warnedHeld      bool
	stmt            scenarios.Statement
	node            *pg_query.Node
	pos             scenarios.Pos
	strongestStrong *lockOn // this statement's strongest write-blocking lock on an existing table
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
	for _, stmt := range stmts {
		n := parseOne(stmt.SQL)
		if n == nil {
			continue
		}
		s.stmt, s.node, s.pos = stmt, n, st.SQLPos(stmt.Offset)
		l.statement(s)
	}
}

// statement applies every rule to one statement, then updates what the
// linter knows.
func (l *linter) statement(s *stepState) {
	n := s.node
	if ts := n.GetTransactionStmt(); ts != nil {
		l.transactionControl(s, ts)
		return
	}
	if on, set := setsLockTimeout(n); set {
		s.lockTimeout = on
	}
	locks := predictLocks(n)
	s.strongestStrong = nil
	for i, lk := range locks {
		if lk.mode.blocksWrites() && !s.created[lk.relation] && (s.strongestStrong == nil || lk.mode > s.strongestStrong.mode) {
			s.strongestStrong = &locks[i]
		}
	}
	before := len(l.findings)
	l.statementRules(s, locks)
	target := slowDMLTarget(n)
	slow := target != "" && !s.created[target]
	for _, f := range l.findings[before:] {
		slow = slow || (slowRules[f.Rule] && f.Severity == Error)
	}
	l.missingLockTimeout(s)
	l.strongLockHeld(s, locks, slow)
	l.track(s)
}

func (l *linter) transactionControl(s *stepState, ts *pg_query.TransactionStmt) {
	switch ts.GetKind() {
	case pg_query.TransactionStmtKind_TRANS_STMT_BEGIN, pg_query.TransactionStmtKind_TRANS_STMT_START:
		s.inTx = true
	case pg_query.TransactionStmtKind_TRANS_STMT_COMMIT, pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK:
		if !s.step.InTransaction() {
			s.inTx, s.held, s.warnedHeld = false, nil, false
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
	_ = l.cat.Apply(s.stmt.SQL)
}

// add records a finding about the current statement.
func (l *linter) add(s *stepState, rule string, sev Severity, rel string, mode lockMode, msg, safe string) {
	l.findings = append(l.findings, Finding{Rule: rule, Severity: sev, Step: s.step.Name, Statement: s.stmt.SQL,
		File: s.pos.File, Line: s.pos.Line, Column: s.pos.Col, Relation: rel, Lock: mode.String(), Message: msg, Safe: safe})
}

// statementRules applies the rules about what one statement does.
func (l *linter) statementRules(s *stepState, locks []lockOn) {
	n := s.node
	switch {
	case n.GetAlterTableStmt() != nil:
		at := n.GetAlterTableStmt()
		rel := relName(at.GetRelation())
		if s.created[rel] {
			return
		}
		mode := lockFor(locks, rel)
		for _, c := range at.GetCmds() {
			l.alterCmd(s, rel, mode, c.GetAlterTableCmd())
		}
	case n.GetIndexStmt() != nil:
		is := n.GetIndexStmt()
		rel := relName(is.GetRelation())
		if !is.GetConcurrent() && !s.created[rel] {
			l.add(s, RuleIndexNotConcurrent, Error, rel, share,
				fmt.Sprintf("CREATE INDEX without CONCURRENTLY holds a SHARE lock on %s for the whole build: every INSERT, UPDATE and DELETE on it waits until the index is built.", rel),
				"CREATE INDEX CONCURRENTLY, outside a transaction (a step with transaction: false; goose: -- +goose NO TRANSACTION; golang-migrate: a file of its own).")
		}
	case n.GetReindexStmt() != nil:
		rs := n.GetReindexStmt()
		if !hasOption(rs.GetParams(), "concurrently") && rs.GetRelation() != nil {
			rel := relName(rs.GetRelation())
			l.add(s, RuleIndexNotConcurrent, Error, rel, share,
				fmt.Sprintf("REINDEX without CONCURRENTLY blocks writes to %s (and reads that use the index) until it is done.", rel),
				"REINDEX ... CONCURRENTLY (PostgreSQL 12+), outside a transaction.")
		}
	case n.GetRenameStmt() != nil:
		l.rename(s, n.GetRenameStmt())
	case n.GetDropStmt() != nil:
		if n.GetDropStmt().GetRemoveType() == pg_query.ObjectType_OBJECT_TABLE {
			for _, t := range dropNames(n.GetDropStmt()) {
				l.dropTable(s, t)
			}
		}
	}
}

func lockFor(locks []lockOn, rel string) lockMode {
	for _, lk := range locks {
		if lk.relation == rel {
			return lk.mode
		}
	}
	return noLock
}

// alterCmd applies the rules about one ALTER TABLE subcommand.
func (l *linter) alterCmd(s *stepState, rel string, mode lockMode, cmd *pg_query.AlterTableCmd) {
	switch cmd.GetSubtype() {
	case pg_query.AlterTableType_AT_AddColumn:
		l.addColumn(s, rel, mode, cmd.GetDef().GetColumnDef())
	case pg_query.AlterTableType_AT_AlterColumnType:
		l.alterType(s, rel, mode, cmd.GetName(), cmd.GetDef().GetColumnDef())
	case pg_query.AlterTableType_AT_SetNotNull:
		col := cmd.GetName()
		if c := l.cat.Table(rel).Column(col); c != nil && c.NotNull {
			return // already NOT NULL: nothing to check
		}
		if !l.checks.validated(rel, col) {
			l.add(s, RuleSetNotNull, Error, rel, mode,
				fmt.Sprintf("SET NOT NULL on %s.%s scans the whole table to check for NULLs while holding an ACCESS EXCLUSIVE lock: reads and writes of %s wait for the scan.", rel, col, rel),
				fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s_not_null CHECK (%s IS NOT NULL) NOT VALID; then, in another transaction, VALIDATE CONSTRAINT %s_not_null (no write-blocking lock); then SET NOT NULL skips the scan (PostgreSQL 12+) and the CHECK can be dropped.", rel, col, col, col))
		}
	case pg_query.AlterTableType_AT_AddConstraint:
		l.addConstraint(s, rel, mode, cmd.GetDef().GetConstraint(), "")
	case pg_query.AlterTableType_AT_DropColumn:
		l.dropColumn(s, rel, mode, cmd.GetName())
	}
}

func (l *linter) addColumn(s *stepState, rel string, mode lockMode, def *pg_query.ColumnDef) {
	col := def.GetColname()
	var hasDefault, notNull bool
	for _, cn := range def.GetConstraints() {
		c := cn.GetConstraint()
		switch c.GetContype() {
		case pg_query.ConstrType_CONSTR_DEFAULT:
			hasDefault = true
			l.volatileDefault(s, rel, mode, col, c.GetRawExpr())
		case pg_query.ConstrType_CONSTR_IDENTITY:
			hasDefault = true
			l.rewritingColumn(s, rel, mode, col, "an identity column")
		case pg_query.ConstrType_CONSTR_GENERATED:
			hasDefault = true
			l.rewritingColumn(s, rel, mode, col, "a stored generated column")
		case pg_query.ConstrType_CONSTR_NOTNULL, pg_query.ConstrType_CONSTR_PRIMARY:
			notNull = true
		}
		l.addConstraint(s, rel, mode, c, col)
	}
	if serialType(def.GetTypeName()) {
		hasDefault = true
		l.rewritingColumn(s, rel, mode, col, "a serial column (its default, nextval(), is volatile)")
	}
	if notNull && !hasDefault {
		l.add(s, RuleRequiredColumn, Error, rel, mode,
			fmt.Sprintf("ADD COLUMN %s ... NOT NULL without a default fails on %s as soon as it has a row: every existing row would be NULL.", col, rel),
			"add the column with a constant default (ADD COLUMN ... NOT NULL DEFAULT 'x' does not rewrite the table on PostgreSQL 11+), or add it nullable, backfill it in batches and then make it NOT NULL through a validated CHECK.")
	}
}

func (l *linter) volatileDefault(s *stepState, rel string, mode lockMode, col string, expr *pg_query.Node) {
	v, fn := volatility(expr)
	switch v {
	case volatile:
		l.add(s, RuleVolatileDefault, Error, rel, mode,
			fmt.Sprintf("ADD COLUMN %s with the volatile default %s() rewrites every row of %s under an ACCESS EXCLUSIVE lock: reads and writes wait for the whole rewrite.", col, fn, rel),
			"add the column without a default (or with a constant one), SET DEFAULT for new rows, backfill existing rows in batches, then add NOT NULL through a validated CHECK if needed.")
	case unknown:
		l.add(s, RuleVolatileDefault, Info, rel, mode,
			fmt.Sprintf("ADD COLUMN %s with a default that calls %s(): if that function is volatile, %s is rewritten under an ACCESS EXCLUSIVE lock (a stable or immutable default is stored once, without a rewrite).", col, fn, rel),
			"make sure the function is STABLE or IMMUTABLE, or add the column without a default and backfill it in batches.")
	}
}

func (l *linter) rewritingColumn(s *stepState, rel string, mode lockMode, col, what string) {
	l.add(s, RuleVolatileDefault, Error, rel, mode,
		fmt.Sprintf("ADD COLUMN %s as %s fills every existing row, rewriting %s under an ACCESS EXCLUSIVE lock: reads and writes wait for the whole rewrite.", col, what, rel),
		"add a plain nullable column, set its default for new rows, backfill existing rows in batches.")
}

func serialType(tn *pg_query.TypeName) bool {
	names := tn.GetNames()
	if len(names) == 0 {
		return false
	}
	switch names[len(names)-1].GetString_().GetSval() {
	case "serial", "serial4", "bigserial", "serial8", "smallserial", "serial2":
		return true
	}
	return false
}

// addConstraint applies the constraint rules; col is set for a constraint
// written on an added column.
func (l *linter) addConstraint(s *stepState, rel string, mode lockMode, c *pg_query.Constraint, col string) {
	if c == nil {
		return
	}
	name := c.GetConname()
	if name == "" {
		name = "the constraint"
	}
	switch c.GetContype() {
	case pg_query.ConstrType_CONSTR_FOREIGN:
		if c.GetSkipValidation() {
			return
		}
		ref := relName(c.GetPktable())
		l.add(s, RuleConstraintNotValid, Error, rel, shareRowExclusive,
			fmt.Sprintf("a FOREIGN KEY from %s to %s is checked against every existing row while both tables are locked SHARE ROW EXCLUSIVE: writes to %s and %s wait for the check.", rel, ref, rel, ref),
			fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID (new rows are checked at once); then, in another transaction, ALTER TABLE %s VALIDATE CONSTRAINT ..., which does not block writes.", rel, rel))
	case pg_query.ConstrType_CONSTR_CHECK:
		if c.GetSkipValidation() {
			return
		}
		l.add(s, RuleConstraintNotValid, Error, rel, mode,
			fmt.Sprintf("ADD CONSTRAINT CHECK on %s scans every existing row while holding an ACCESS EXCLUSIVE lock: reads and writes wait for the scan.", rel),
			fmt.Sprintf("ADD CONSTRAINT ... CHECK (...) NOT VALID; then, in another transaction, ALTER TABLE %s VALIDATE CONSTRAINT ..., which does not block reads or writes.", rel))
	case pg_query.ConstrType_CONSTR_UNIQUE, pg_query.ConstrType_CONSTR_PRIMARY:
		if c.GetIndexname() != "" {
			return // USING INDEX: the index was built beforehand
		}
		kind := "UNIQUE"
		if c.GetContype() == pg_query.ConstrType_CONSTR_PRIMARY {
			kind = "PRIMARY KEY"
		}
		on := rel
		if col != "" {
			on = rel + "." + col
		}
		l.add(s, RuleUniqueConstraint, Error, rel, mode,
			fmt.Sprintf("adding a %s constraint on %s builds its index while holding an ACCESS EXCLUSIVE lock: reads and writes of %s wait for the whole build.", kind, on, rel),
			fmt.Sprintf("CREATE UNIQUE INDEX CONCURRENTLY (outside a transaction); then ALTER TABLE %s ADD CONSTRAINT ... %s USING INDEX ..., which only takes the lock briefly.", rel, kind))
	}
}

// alterType flags ALTER COLUMN TYPE, except the changes PostgreSQL makes
// without a rewrite (varchar to text, a longer varchar).
func (l *linter) alterType(s *stepState, rel string, mode lockMode, col string, def *pg_query.ColumnDef) {
	newType := typeText(def.GetTypeName())
	if c := l.cat.Table(rel).Column(col); c != nil && def.GetRawDefault() == nil && binaryCompatible(c.Type, newType) {
		return
	}
	l.add(s, RuleAlterColumnType, Error, rel, mode,
		fmt.Sprintf("ALTER COLUMN %s TYPE %s rewrites %s and its indexes under an ACCESS EXCLUSIVE lock: reads and writes wait for the whole rewrite, and cached plans of running code fail once.", col, newType, rel),
		fmt.Sprintf("add a new column of type %s, keep it in sync with a trigger, backfill it in batches, switch the code to it, then drop the old column (expand/contract).", newType))
}

// typeText spells a type as scenarios.Catalog does: integer, varchar(20), text[].
func typeText(tn *pg_query.TypeName) string {
	var names []string
	for _, n := range tn.GetNames() {
		names = append(names, n.GetString_().GetSval())
	}
	name := strings.Join(names, ".")
	if len(names) == 2 && names[0] == "pg_catalog" {
		name = names[1]
		if sqlName, ok := builtinTypes[name]; ok {
			name = sqlName
		}
	}
	var mods []string
	for _, m := range tn.GetTypmods() {
		if iv := m.GetAConst().GetIval(); iv != nil {
			mods = append(mods, fmt.Sprint(iv.GetIval()))
		}
	}
	if len(mods) > 0 {
		name += "(" + strings.Join(mods, ",") + ")"
	}
	for range tn.GetArrayBounds() {
		name += "[]"
	}
	return name
}

var builtinTypes = map[string]string{
	"int2": "smallint", "int4": "integer", "int8": "bigint",
	"float4": "real", "float8": "double precision", "bool": "boolean", "bpchar": "char",
}

// binaryCompatible reports whether changing a column from old to new needs
// no rewrite: varchar(n) to text, to varchar or to a longer varchar; text
// to varchar; numeric(p,s) to numeric or to a larger precision, same scale.
func binaryCompatible(old, new string) bool {
	oldBase, oldMods := splitMods(old)
	newBase, newMods := splitMods(new)
	switch {
	case old == new:
		return true
	case oldBase == "varchar" || oldBase == "text":
		switch {
		case new == "text" || new == "varchar":
			return true
		case newBase == "varchar" && oldBase == "varchar" && len(oldMods) == 1 && len(newMods) == 1:
			return newMods[0] >= oldMods[0]
		}
	case oldBase == "numeric" && newBase == "numeric":
		if len(newMods) == 0 {
			return true
		}
		if len(oldMods) == 0 {
			return false
		}
		oldScale, newScale := 0, 0
		if len(oldMods) > 1 {
			oldScale = oldMods[1]
		}
		if len(newMods) > 1 {
			newScale = newMods[1]
		}
		return newMods[0] >= oldMods[0] && newScale == oldScale
	}
	return false
}

// splitMods splits "varchar(20)" into "varchar" and [20].
func splitMods(t string) (string, []int) {
	base, rest, ok := strings.Cut(t, "(")
	if !ok {
		return t, nil
	}
	var mods []int
	for _, part := range strings.Split(strings.TrimSuffix(rest, ")"), ",") {
		var n int
		if _, err := fmt.Sscan(strings.TrimSpace(part), &n); err == nil {
			mods = append(mods, n)
		}
	}
	return base, mods
}
