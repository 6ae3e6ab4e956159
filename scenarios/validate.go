package scenarios

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/rehearse/rehearse/internal/pgsql"
)

// Limits enforced by validation.
const (
	// MaxRows is the most rows a table may ask for.
	MaxRows = 10_000_000_000
	// MaxRate is the highest workload rate, in queries per second.
	MaxRate = 1_000_000
	// MaxConnections is the most connections a workload may open.
	MaxConnections = 1000
)

var (
	settingNameRe = regexp.MustCompile(`^[a-z_.0-9]+$`)
	versionRe     = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)
)

// checker gathers every problem of a decoded scenario.
type checker struct {
	s        *Scenario
	d        *document
	dir      string
	problems []Problem

	base   *Catalog          // the baseline schema; nil when it is unusable
	steps  map[string]int    // step name → index
	tables map[string]string // normalized data.tables name → key as written
}

func newChecker(s *Scenario, d *document) *checker {
	return &checker{s: s, d: d, dir: baseDir(s.Path), steps: map[string]int{}, tables: map[string]string{}}
}

// run checks in dependency order: the schema gives the catalog, steps give
// the names traffic refers to, data.tables gives what refs can draw from.
func (c *checker) run() {
	c.checkName()
	c.checkPostgres()
	c.checkClone() // validate_clone.go
	c.checkSchema()
	c.checkMigration()
	c.checkProfile() // data.profile adds tables: validate_profile.go
	c.checkData()
	c.checkTraffic()
	c.checkPhases()
	c.checkThresholds()
	c.checkClientsAndBackground()
	c.checkVersionsAndReplica() // validate_postgres.go
}

func (c *checker) addf(p keyPath, format string, args ...any) {
	line, col := c.d.pos(p)
	c.add(Problem{Line: line, Col: col, Path: p.String(), Msg: fmt.Sprintf(format, args...)})
}

// addKeyf reports a problem about a map key itself (an unknown table name).
func (c *checker) addKeyf(p keyPath, format string, args ...any) {
	line, col := c.d.keyPos(p)
	c.add(Problem{Line: line, Col: col, Path: p.String(), Msg: fmt.Sprintf(format, args...)})
}

func (c *checker) add(p Problem) {
	if p.File == "" {
		p.File = c.d.file()
	}
	c.problems = append(c.problems, p)
}

// addAt reports a problem at a position inside a SQL text. The key path is
// left out when the text is in another file (schema.file).
func (c *checker) addAt(pos Pos, p keyPath, msg string) {
	prob := Problem{File: pos.File, Line: pos.Line, Col: pos.Col, Msg: msg}
	if pos.File == c.d.file() {
		prob.Path = p.String()
	}
	if pos.Line == 0 {
		prob.Line, prob.Col = c.d.pos(p)
	}
	c.add(prob)
}

// addSQLError reports a parser error in text, located through src.
func (c *checker) addSQLError(p keyPath, src textSource, text string, err error) {
	var se *SQLError
	if !errors.As(err, &se) {
		c.addf(p, "%v", err)
		return
	}
	off := se.Offset
	if off < 0 {
		off = pgsql.SkipSpaceAndComments(text, 0)
	}
	c.addAt(src.pos(text, off), p, se.Msg)
}

// sqlSource locates the SQL text at p. Without a YAML document (Validate on a
// loaded scenario) the source found when loading is kept.
func (c *checker) sqlSource(p keyPath, loaded textSource) textSource {
	if c.d.body == nil {
		return loaded
	}
	return c.d.sqlSource(p)
}

func (c *checker) checkName() {
	if strings.TrimSpace(c.s.Name) == "" {
		c.addf(root().key("name"), "missing; give the scenario a short name")
	}
}

func (c *checker) checkPostgres() {
	p := root().key("postgres")
	if v := c.s.Postgres.Version; v != "" && !versionRe.MatchString(v) {
		c.addf(p.key("version"), "must be a major version such as 16, got %q", v)
	}
	for _, k := range slices.Sorted(maps.Keys(c.s.Postgres.Settings)) {
		sp := p.key("settings").key(k)
		if !settingNameRe.MatchString(k) {
			c.addKeyf(sp, "%q is not a setting name (lower-case letters, digits, _ and .)", k)
		}
		if strings.TrimSpace(string(c.s.Postgres.Settings[k])) == "" {
			c.addf(sp, "empty value; give the setting a value such as 256MB, 200 or on")
		}
	}
}

func (c *checker) checkSchema() {
	p := root().key("schema")
	sch := c.s.Schema
	if c.checkSchemaMigrations(p) { // schema.migrations: validate_migrations.go
		return
	}
	switch {
	case sch.File == "" && sch.SQL == "":
		c.addf(p, "missing; give the baseline schema as file: (a SQL file) or sql: (inline SQL)")
		return
	case sch.File != "" && sch.SQL != "":
		c.addf(p, "give either file or sql, not both")
		return
	}
	sqlPath := p.key("sql")
	if sch.File != "" {
		sqlPath = p.key("file")
		if !c.readSchemaFile(sqlPath, sch.File) {
			return
		}
	} else {
		src := c.sqlSource(sqlPath, c.s.schemaSrc)
		c.s.SchemaSQL, c.s.SchemaFile, c.s.SchemaLine, c.s.schemaSrc = sch.SQL, c.s.Path, src.line, src
	}
	cat, err := ParseSchema(c.s.SchemaSQL)
	if err != nil {
		c.addSQLError(sqlPath, c.s.schemaSrc, c.s.SchemaSQL, err)
		return
	}
	c.base = cat
}

// insideDir resolves name relative to dir and refuses a path that leaves
// dir, by "..", by an absolute path or through a symbolic link.
func insideDir(dir, name string) (string, error) {
	if filepath.IsAbs(name) {
		return "", fmt.Errorf("%s: give a path relative to the scenario file's directory", name)
	}
	base, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	file := filepath.Join(base, name)
	if real, err := filepath.EvalSymlinks(file); err == nil {
		file = real
	}
	if realBase, err := filepath.EvalSymlinks(base); err == nil {
		base = realBase
	}
	if rel, err := filepath.Rel(base, file); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%s is outside the scenario file's directory; scenarios may only read files beside them", name)
	}
	return file, nil
}

// readSchemaFile reads schema.file relative to the scenario's directory. A
// scenario may not make the harness read files outside that directory: a
// scenario file from a pull request must not be able to read the runner's secrets.
func (c *checker) readSchemaFile(p keyPath, name string) bool {
	file, err := insideDir(c.dir, name)
	if err != nil {
		c.addf(p, "%v", err)
		return false
	}
	data, err := os.ReadFile(file)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		c.addf(p, "cannot read %s: %v", name, err)
		return false
	}
	shown := filepath.Join(c.dir, name) // as the user would write it, for messages
	c.s.SchemaSQL, c.s.SchemaFile, c.s.SchemaLine = string(data), shown, 1
	c.s.schemaSrc = textSource{file: shown, line: 1, col: 1, mode: literalBlock}
	return true
}

func (c *checker) checkMigration() {
	if c.checkMigrationMigrations() { // migration.migrations: validate_migrations.go
		return
	}
	p := root().key("migration").key("steps")
	steps := c.s.Migration.Steps
	if len(steps) == 0 {
		c.addf(p, "missing; give at least one step")
	}
	var cat *Catalog
	if c.base != nil {
		cat = c.base.Clone()
	}
	for i, st := range steps {
		c.checkStep(p.idx(i), i, st, cat)
	}
	c.checkRollback(cat)
	c.checkAbortOn()
}

func (c *checker) checkAbortOn() {
	a := c.s.Migration.AbortOn
	if a == nil {
		return
	}
	p := root().key("migration").key("abort_on")
	if a.P99 == 0 && a.ErrorRate == 0 && a.LockWait == 0 {
		c.addf(p, "give at least one of p99, error_rate or lock_wait")
	}
	c.checkNonNegative(p.key("p99"), a.P99)
	c.checkNonNegative(p.key("lock_wait"), a.LockWait)
	if a.ErrorRate < 0 || a.ErrorRate > 1 {
		c.addf(p.key("error_rate"), "must be between 0 and 1, got %v", a.ErrorRate)
	}
}

// checkRollback checks migration.rollback, the steps run after a failed
// step. Their names are their own: start_after cannot refer to them.
func (c *checker) checkRollback(cat *Catalog) {
	p := root().key("migration").key("rollback")
	names := c.steps
	c.steps = map[string]int{}
	for i, st := range c.s.Migration.Rollback {
		c.checkStep(p.idx(i), i, st, cat)
	}
	c.steps = names
}

// checkStep checks one step; cat follows the schema through the steps so that
// a batch can use a column added by an earlier step.
func (c *checker) checkStep(p keyPath, i int, st *Step, cat *Catalog) {
	if st == nil {
		c.addf(p, "empty step; give name and sql or batch")
		return
	}
	c.checkStepName(p, i, st.Name)
	hasSQL := strings.TrimSpace(st.SQL) != ""
	kinds := 0
	for _, set := range []bool{hasSQL, st.Batch != nil, st.Command != nil} {
		if set {
			kinds++
		}
	}
	switch {
	case kinds > 1:
		c.addf(p, "give one of sql, batch or command, not several")
	case kinds == 0:
		c.addf(p, "give sql (statements to run), batch (a batched backfill) or command (an external migration tool)")
	}
	c.checkCommand(p, st)
	c.checkRetry(p.key("retry"), st.Retry)
	if st.Transaction != nil && st.Batch != nil {
		c.addf(p.key("transaction"), "applies only to sql steps; each batch runs in its own transaction")
	}
	c.checkNonNegative(p.key("lock_timeout"), st.LockTimeout)
	c.checkNonNegative(p.key("statement_timeout"), st.StatementTimeout)
	if hasSQL {
		c.checkStepSQL(p.key("sql"), st, cat)
	}
	if st.Batch != nil {
		c.checkBatch(p.key("batch"), st.Batch, cat)
	}
}

func (c *checker) checkCommand(step keyPath, st *Step) {
	p := step.key("command")
	if st.Command == nil {
		return
	}
	if len(st.Command) == 0 || strings.TrimSpace(st.Command[0]) == "" {
		c.addf(p, "give the program and its arguments, like [migrate, -path, db/migrations, -database, $DATABASE_URL, up]")
	}
	if st.Transaction != nil {
		c.addf(step.key("transaction"), "does not apply to a command step; the tool decides its transactions")
	}
}

func (c *checker) checkRetry(p keyPath, r *Retry) {
	if r == nil {
		return
	}
	if r.Attempts < 0 || r.Attempts > 100 {
		c.addf(p.key("attempts"), "must be between 1 and 100, got %d", r.Attempts)
	}
	if r.LockTimeout < 0 {
		c.addf(p.key("lock_timeout"), "must be > 0, got %s", r.LockTimeout)
	}
	c.checkNonNegative(p.key("backoff"), r.Backoff)
}

func (c *checker) checkStepName(p keyPath, i int, name string) {
	switch prev, dup := c.steps[name]; {
	case strings.TrimSpace(name) == "":
		c.addf(p.key("name"), "missing; give the step a name")
	case dup:
		c.addf(p.key("name"), "duplicate step name %q (also migration.steps[%d])", name, prev)
	default:
		c.steps[name] = i
	}
}

func (c *checker) checkNonNegative(p keyPath, d Duration) {
	if d < 0 {
		c.addf(p, "must be >= 0, got %s", d)
	}
}

func (c *checker) checkStepSQL(p keyPath, st *Step, cat *Catalog) {
	st.src = c.sqlSource(p, st.src)
	tree, err := pgsql.Parse(st.SQL)
	if err != nil {
		c.addSQLError(p, st.src, st.SQL, err)
		return
	}
	if st.InTransaction() {
		c.checkTransactional(p, st, tree)
	}
	if cat != nil {
		cat.applyTree(tree)
	}
}

// checkTransactional reports statements that fail inside the transaction a
// step runs in by default.
func (c *checker) checkTransactional(p keyPath, st *Step, tree *pg_query.ParseResult) {
	for _, raw := range tree.GetStmts() {
		pos := st.src.pos(st.SQL, pgsql.StmtStart(st.SQL, raw))
		if reason := noTransactionReason(raw.GetStmt()); reason != "" {
			c.addAt(pos, p, reason+" cannot run inside a transaction: set transaction: false on this step")
		}
		if raw.GetStmt().GetTransactionStmt() != nil {
			c.addAt(pos, p, "transaction control (BEGIN, COMMIT, ...) is not allowed: the step already runs in a transaction; set transaction: false to manage it yourself")
		}
	}
}

func (c *checker) checkBatch(p keyPath, b *Batch, cat *Catalog) {
	if b.Size <= 0 {
		c.addf(p.key("size"), "must be > 0, got %d", b.Size)
	}
	c.checkNonNegative(p.key("pause"), b.Pause)
	if b.Throttle != nil && b.Throttle.MaxP99 <= 0 && (b.Throttle.MaxReplicationLag <= 0 || c.d.has(p.key("throttle").key("max_p99"))) {
		c.addf(p.key("throttle").key("max_p99"), "must be > 0: the p99 above which batches wait")
	}
	c.checkBatchTarget(p, b, cat)
	if strings.TrimSpace(b.SQL) == "" {
		c.addf(p.key("sql"), "missing; give the statement run per batch, with $1 (first key) and $2 (end key, exclusive)")
		return
	}
	b.src = c.sqlSource(p.key("sql"), b.src)
	tree, err := pgsql.Parse(b.SQL)
	if err != nil {
		c.addSQLError(p.key("sql"), b.src, b.SQL, err)
		return
	}
	if n := len(tree.GetStmts()); n != 1 {
		c.addf(p.key("sql"), "must be one statement, got %d", n)
	}
	if nums := pgsql.ParamNumbers(tree); !equalInts(nums, []int{1, 2}) {
		c.addf(p.key("sql"), "must use $1 (first key of the batch) and $2 (end key, exclusive) and no other parameters, got %s", formatParams(nums))
	}
}

// checkBatchTarget checks table and key against the schema as it is when the
// step runs.
func (c *checker) checkBatchTarget(p keyPath, b *Batch, cat *Catalog) {
	if b.Table == "" {
		c.addf(p.key("table"), "missing; name the table whose keys are batched")
	}
	if b.Key == "" {
		c.addf(p.key("key"), "missing; name the key column batches are ranges of")
	}
	if cat == nil || b.Table == "" {
		return
	}
	t := cat.Table(b.Table)
	switch {
	case t == nil:
		c.addf(p.key("table"), "no table %q in the schema at this step%s", b.Table, didYouMean(b.Table, cat.TableNames()))
	case b.Key != "" && !t.Opaque && t.Column(b.Key) == nil:
		c.addf(p.key("key"), "table %s has no column %q%s", t.Name, b.Key, didYouMean(b.Key, t.ColumnNames()))
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func formatParams(nums []int) string {
	if len(nums) == 0 {
		return "none"
	}
	parts := make([]string, len(nums))
	for i, n := range nums {
		parts[i] = fmt.Sprintf("$%d", n)
	}
	return strings.Join(parts, ", ")
}
