package rehearse

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rehearse/rehearse/internal/migrate"
	"github.com/rehearse/rehearse/scenarios"
	"github.com/rehearse/rehearse/scenarios/migrations"
)

// SQLError is a statement of the scenario's own SQL that PostgreSQL rejected,
// located in the file the user edits.
type SQLError struct {
	File         string
	Line, Column int
	SQLState     string
	Message      string
	Err          error
}

func (e *SQLError) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Column)
	}
	if e.SQLState != "" {
		return fmt.Sprintf("%s: %s (SQLSTATE %s)", loc, e.Message, e.SQLState)
	}
	return fmt.Sprintf("%s: %s", loc, e.Message)
}

func (e *SQLError) Unwrap() error { return e.Err }

// applySchema runs the baseline schema statement by statement so that an
// error can be located in the schema file.
func applySchema(ctx context.Context, conn *pgx.Conn, sc *scenarios.Scenario) error {
	if m := sc.Schema.Migrations; m != nil {
		if sql := migrations.Bookkeeping(m.Tool()); sql != "" {
			if _, err := conn.Exec(ctx, sql); err != nil {
				return fmt.Errorf("create %s's bookkeeping table: %w", m.Tool(), err)
			}
		}
	}
	err := migrate.ExecScript(ctx, conn, sc.SchemaSQL, nil)
	var stmtErr *migrate.StatementError
	if err == nil || !errors.As(err, &stmtErr) {
		return err
	}
	pos := sc.SchemaPos(stmtErr.Offset)
	se := &SQLError{File: pos.File, Line: pos.Line, Column: pos.Col, Message: stmtErr.Err.Error(), Err: err}
	if se.File == "" {
		se.File = "schema"
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		se.SQLState, se.Message = pgErr.Code, pgErr.Message
	}
	return se
}
