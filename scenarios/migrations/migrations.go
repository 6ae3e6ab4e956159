// Package migrations reads directories of migration files in the formats of
// the common migration tools (golang-migrate, goose, Flyway, dbmate, plain
// numbered SQL files) the way those tools read them: which files are
// migrations, in which order, which part of a file is the "up" migration and
// whether the tool runs it in a transaction.
//
// It does not parse SQL: package scenarios turns each File into a migration
// step and splits and checks its statements with PostgreSQL's parser. It has
// no state and touches nothing but the files it is asked to read.
package migrations

import (
	"fmt"
	"strings"

	"github.com/rehearse/rehearse/internal/problem"
)

// Format names a migration tool's file layout.
type Format string

// The formats Read understands.
const (
	// Auto detects the format from the directory's files.
	Auto Format = "auto"
	// GolangMigrate is golang-migrate: N_name.up.sql and N_name.down.sql.
	GolangMigrate Format = "golang-migrate"
	// Goose is pressly/goose: N_name.sql with -- +goose Up / Down sections.
	Goose Format = "goose"
	// Flyway is Flyway: V1__name.sql (versioned) and R__name.sql (repeatable).
	Flyway Format = "flyway"
	// Dbmate is dbmate: N_name.sql with -- migrate:up / -- migrate:down sections.
	Dbmate Format = "dbmate"
	// Plain is a directory of numbered SQL files (001_init.sql), each all "up".
	Plain Format = "sql"
)

// Formats lists the formats a scenario may name, Auto first.
func Formats() []Format { return []Format{Auto, GolangMigrate, Goose, Flyway, Dbmate, Plain} }

// ParseFormat reads a format name; "" is Auto.
func ParseFormat(s string) (Format, error) {
	if s == "" {
		return Auto, nil
	}
	for _, f := range Formats() {
		if string(f) == s {
			return f, nil
		}
	}
	names := make([]string, len(Formats()))
	for i, f := range Formats() {
		names[i] = string(f)
	}
	return "", fmt.Errorf("unknown migration format %q; use one of %s", s, strings.Join(names, ", "))
}

// TxMode says how a tool runs the statements of a migration file.
type TxMode int

const (
	// InTransaction: the tool wraps the file in one transaction (goose and
	// dbmate by default); a statement that cannot run in one makes it fail.
	InTransaction TxMode = iota
	// NoTransaction: the tool runs the statements one by one, each in its own
	// transaction (goose NO TRANSACTION, Flyway executeInTransaction=false).
	NoTransaction
	// OneQuery: the tool sends the whole file as one query (golang-migrate,
	// dbmate transaction:false), which PostgreSQL runs as one implicit
	// transaction unless the file holds a single statement or manages its
	// own transaction with BEGIN and COMMIT.
	OneQuery
	// Detect: in a transaction unless a statement cannot run in one, as
	// Flyway decides (and as plain SQL files are run here).
	Detect
)

// String names the mode as the messages do.
func (m TxMode) String() string {
	switch m {
	case InTransaction:
		return "in a transaction"
	case NoTransaction:
		return "without a transaction"
	case OneQuery:
		return "as one query"
	case Detect:
		return "in a transaction unless a statement cannot run in one"
	}
	return fmt.Sprintf("TxMode(%d)", int(m))
}

// File is one migration: the "up" part of a migration file.
type File struct {
	// Version is the version as written in the file name ("000041",
	// "20240105093000"); Flyway's V1_1 is "1.1". Empty for Flyway's
	// repeatable migrations.
	Version string
	// Name is the step name: the file name without .up.sql or .sql.
	Name string
	// Path is the directory given to Read joined with the file name.
	Path string
	// SQL is the "up" part of the file, verbatim: the file's lines from
	// Line on, up to the "down" part or the end. Tool annotations in it are
	// SQL comments.
	SQL string
	// Line is the 1-based line of Path where SQL starts.
	Line int
	// Tx is how the tool runs SQL.
	Tx TxMode
	// Format is the format the file was read as.
	Format Format
	// Repeatable marks a Flyway R__ migration: applied after the versioned
	// ones, in name order, whenever it changes.
	Repeatable bool
	// GoMigration marks a goose migration written in Go: it has no SQL and
	// cannot be rehearsed.
	GoMigration bool
	// GooseBlocks are the line ranges of SQL (1-based, inclusive) between
	// -- +goose StatementBegin and StatementEnd: goose sends each as one
	// statement, and splits the rest of the file at lines ending in ';'.
	GooseBlocks []LineRange
}

// LineRange is a range of lines, 1-based and inclusive.
type LineRange struct{ First, Last int }

// Contains reports whether line l is in the range.
func (r LineRange) Contains(l int) bool { return l >= r.First && l <= r.Last }

// Problem is something wrong with a migration file, at a line of it (Line 0
// when it is about the file as a whole).
type Problem = problem.Problem

// Error lists every problem found in a directory, so that all can be fixed at once.
type Error = problem.Error

func errorOf(problems []Problem) error { return problem.New(problems, "") }
