package scenarios

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/rehearse/rehearse/internal/pgsql"
	"github.com/rehearse/rehearse/scenarios/migrations"
)

// MigrationDir is a directory of migration files in a migration tool's
// format: schema.migrations (the baseline is the directory up to To) and
// migration.migrations (one step per file after From, up to To).
type MigrationDir struct {
	// Dir is the directory, relative to the scenario file and inside its
	// directory. In migration.migrations it defaults to schema.migrations.dir.
	Dir string `yaml:"dir" json:"dir,omitempty"`
	// Format is auto (the default: detected from the files), golang-migrate,
	// goose, flyway, dbmate or sql (numbered plain SQL files).
	Format string `yaml:"format" json:"format,omitempty"`
	// From (migration.migrations only) is the version already applied: the
	// steps are the migrations after it. It defaults to schema.migrations.to;
	// `base` is the version before the files a branch changed (see To).
	From MigrationVersion `yaml:"from" json:"from,omitempty"`
	// To is the last version applied: in schema.migrations, the version
	// production is at (default: the latest); in migration.migrations, the
	// last version rehearsed (default: the latest).
	//
	// schema.migrations.to and migration.migrations.from may be `base`:
	// the version before the oldest file changed since the merge base with
	// Scenario.Since (--since; default origin/main, else main): what
	// `rehearse DIR --since REF` leaves as the baseline.
	To MigrationVersion `yaml:"to" json:"to,omitempty"`

	// What the directory expanded to when the scenario was loaded, so that
	// Validate on a loaded scenario does not read it again.
	steps   []*Step
	offsets []int     // schema.migrations: where each step's SQL starts in SchemaSQL
	shown   string    // Dir as messages show it: joined to the scenario's directory
	abs     string    // Dir resolved
	baseRef string    // the git ref `base` was cut against, "" without base
	cut     *sinceCut // what `base` was cut from, nil without base
	format  migrations.Format
	leftOut []string // schema.migrations: Go migrations left out of the baseline
}

// LeftOut names the goose migrations written in Go that the baseline of
// schema.migrations left out (their SQL is in Go code); nil when none.
func (m *MigrationDir) LeftOut() []string { return m.leftOut }

// BaselineNote says, in one line, which migrations written in Go the
// baseline left out; "" when none did.
func (s *Scenario) BaselineNote() string {
	m := s.Schema.Migrations
	if m == nil || len(m.leftOut) == 0 {
		return ""
	}
	return fmt.Sprintf("the baseline leaves out %s written in Go (rehearse runs SQL only; a later file that needs what one did fails at its line): %s",
		plural(len(m.leftOut), "goose migration"), strings.Join(m.leftOut, ", "))
}

// Tool is the format the directory was read as (Format, or the one
// detected); "" before the scenario is validated.
func (m *MigrationDir) Tool() migrations.Format { return m.format }

// MigrationVersion is a migration version as written in the file names:
// 41, 000041, 20240105093000, 1.1. Leading and trailing zeros are kept as
// written (YAML would read 000041 as an octal number and 1.10 as 1.1).
type MigrationVersion string

// UnmarshalYAML keeps the scalar's text as written.
func (v *MigrationVersion) UnmarshalYAML(b []byte) error {
	text := strings.TrimSpace(string(b))
	if strings.HasPrefix(text, `"`) || strings.HasPrefix(text, `'`) {
		var s string
		if err := yaml.Unmarshal(b, &s); err != nil {
			return err
		}
		text = s
	}
	*v = MigrationVersion(text)
	return nil
}

var versionTextRe = regexp.MustCompile(`^[0-9]+([._][0-9]+)*$`)

// MigrationSteps reads every SQL migration of the directory dir (format as
// in MigrationDir.Format; "" detects it) as steps, in version order, each
// named after its file and located in it; goose migrations written in Go
// have no SQL to read and are left out. Problems (a file that does not
// parse, a statement the tool would fail on) come back as an *Error.
func MigrationSteps(dir, format string) ([]*Step, error) {
	f, err := migrations.ParseFormat(format)
	if err != nil {
		return nil, err
	}
	d, err := migrations.Read(dir, f)
	if err != nil {
		return nil, migrationsError(err, dir)
	}
	files, _ := withoutGoMigrations(append(append([]migrations.File{}, d.Files...), d.Repeatable...))
	return stepsOrError(files, dir)
}

// MigrationFileStep reads one file as a step: a migration file of a tool
// (format "" or auto detects which from its name and annotations), or a
// plain SQL file, run in a transaction unless a statement cannot run in one.
func MigrationFileStep(path, format string) (*Step, error) {
	f, err := migrations.ParseFormat(format)
	if err != nil {
		return nil, err
	}
	file, err := migrations.ReadFile(path, f)
	if err != nil {
		return nil, migrationsError(err, path)
	}
	steps, err := stepsOrError([]migrations.File{file}, path)
	if err != nil {
		return nil, err
	}
	return steps[0], nil
}

func stepsOrError(files []migrations.File, name string) ([]*Step, error) {
	var problems []Problem
	steps := make([]*Step, 0, len(files))
	for _, f := range files {
		st, probs := fileStep(f)
		problems = append(problems, probs...)
		steps = append(steps, st)
	}
	if err := newError(problems, name); err != nil {
		return nil, err
	}
	return steps, nil
}

// migrationsError turns the reader's problems into an *Error.
func migrationsError(err error, name string) error {
	var me *migrations.Error
	if !errors.As(err, &me) {
		return &Error{Problems: []Problem{{File: name, Msg: strings.TrimPrefix(err.Error(), name+": ")}}}
	}
	return newError(me.Problems, name)
}

// fileStep turns a migration file into a step that runs as the tool would
// run the file. Problems are located in the file.
func fileStep(f migrations.File) (*Step, []Problem) {
	st := &Step{Name: f.Name, SQL: f.SQL, src: textSource{file: f.Path, line: f.Line, col: 1, mode: literalBlock}}
	at := func(offset int, msg string) Problem {
		pos := st.SQLPos(offset)
		return Problem{File: pos.File, Line: pos.Line, Col: pos.Col, Msg: msg}
	}
	if f.GoMigration {
		return st, []Problem{{File: f.Path, Msg: "a goose migration written in Go cannot be rehearsed: only SQL migrations can"}}
	}
	tree, err := pgsql.Parse(f.SQL)
	if err != nil {
		var se *SQLError
		off := pgsql.SkipSpaceAndComments(f.SQL, 0)
		if errors.As(err, &se) && se.Offset >= 0 {
			off = se.Offset
		}
		msg := err.Error()
		if se != nil {
			msg = se.Msg
		}
		return st, []Problem{at(off, msg)}
	}
	stmts := pgsql.Statements(f.SQL, tree)
	var problems []Problem
	if f.Format == migrations.Goose {
		problems = append(problems, gooseSplitProblems(f, stmts, at)...)
	}
	tx, probs := fileTransaction(f, tree, at)
	problems = append(problems, probs...)
	if !tx {
		st.Transaction = new(bool)
	}
	return st, problems
}

// fileTransaction decides whether the step runs in one transaction, as the
// tool would run the file, and reports files the tool would fail to run.
func fileTransaction(f migrations.File, tree *pg_query.ParseResult, at func(int, string) Problem) (bool, []Problem) {
	var noTx, control *pg_query.RawStmt
	count := 0
	for _, raw := range tree.GetStmts() {
		count++
		if noTx == nil && noTransactionReason(raw.GetStmt()) != "" {
			noTx = raw
		}
		if control == nil && raw.GetStmt().GetTransactionStmt() != nil {
			control = raw
		}
	}
	offset := func(raw *pg_query.RawStmt) int {
		return pgsql.StmtStart(f.SQL, raw)
	}
	switch f.Tx {
	case migrations.NoTransaction:
		return false, nil
	case migrations.Detect:
		return noTx == nil && control == nil, nil
	case migrations.OneQuery:
		switch {
		case control != nil:
			return false, nil // the file manages its own transaction
		case noTx != nil && count > 1:
			return false, []Problem{at(offset(noTx), fmt.Sprintf("%s cannot run inside a transaction, and %s sends this file as one query, which PostgreSQL runs as one: put it in a migration file of its own%s",
				noTransactionReason(noTx.GetStmt()), f.Format, oneQueryAdvice(f.Format)))}
		}
		return noTx == nil, nil
	}
	var problems []Problem
	if noTx != nil {
		problems = append(problems, at(offset(noTx), fmt.Sprintf("%s cannot run inside a transaction, and %s runs this file in one: %s",
			noTransactionReason(noTx.GetStmt()), f.Format, noTransactionAdvice(f.Format))))
	}
	if control != nil {
		problems = append(problems, at(offset(control), fmt.Sprintf("transaction control (BEGIN, COMMIT, ...) in a file %s already runs in a transaction: %s",
			f.Format, noTransactionAdvice(f.Format))))
	}
	return len(problems) == 0, problems
}

func noTransactionAdvice(f migrations.Format) string {
	switch f {
	case migrations.Goose:
		return "add -- +goose NO TRANSACTION to the file"
	case migrations.Dbmate:
		return "write -- migrate:up transaction:false"
	}
	return "run the file without a transaction"
}

func oneQueryAdvice(f migrations.Format) string {
	if f == migrations.Dbmate {
		return " (with -- migrate:up transaction:false)"
	}
	return ""
}

// gooseSplitProblems reports statements that goose would cut in two: outside
// StatementBegin/StatementEnd it ends a statement at every line whose last
// word (before a -- comment) ends with ';', which breaks function bodies and
// DO blocks that PostgreSQL's parser keeps whole.
func gooseSplitProblems(f migrations.File, stmts []Statement, at func(int, string) Problem) []Problem {
	var problems []Problem
	for _, stmt := range stmts {
		if inGooseBlock(f.GooseBlocks, stmt.Line) {
			continue
		}
		lines := strings.Split(stmt.SQL, "\n")
		for i, line := range lines[:len(lines)-1] {
			if gooseEndsStatement(line) {
				problems = append(problems, at(stmt.Offset, fmt.Sprintf(
					"goose would end this statement at line %d, where a line ends with ';': wrap it in -- +goose StatementBegin and -- +goose StatementEnd",
					fileLine(f, stmt.Line+i))))
				break
			}
		}
	}
	return problems
}

// fileLine converts a line of the Up section to a line of the file.
func fileLine(f migrations.File, line int) int { return f.Line + line - 1 }

func inGooseBlock(blocks []migrations.LineRange, line int) bool {
	for _, b := range blocks {
		if b.Contains(line) {
			return true
		}
	}
	return false
}

func gooseEndsStatement(line string) bool {
	last := ""
	for _, word := range strings.Fields(line) {
		if strings.HasPrefix(word, "--") {
			break
		}
		last = word
	}
	return strings.HasSuffix(last, ";")
}

// baselinePos maps an offset in SchemaSQL to the migration file it came
// from, when the baseline was built from schema.migrations.
func (s *Scenario) baselinePos(offset int) (Pos, bool) {
	m := s.Schema.Migrations
	if m == nil || len(m.offsets) != len(s.Baseline) {
		return Pos{}, false
	}
	for i := len(s.Baseline) - 1; i >= 0; i-- {
		if offset >= m.offsets[i] {
			return s.Baseline[i].SQLPos(min(offset-m.offsets[i], len(s.Baseline[i].SQL))), true
		}
	}
	return Pos{}, false
}

// baselineSQL joins the baseline files into one script; a separator line
// keeps a file's last statement (even one without ';' or ending in a
// comment) from running into the next file's first.
func baselineSQL(steps []*Step) (string, []int) {
	var b strings.Builder
	offsets := make([]int, len(steps))
	for i, st := range steps {
		if i > 0 {
			b.WriteString("\n;\n")
		}
		offsets[i] = b.Len()
		b.WriteString(st.SQL)
	}
	return b.String(), offsets
}
