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
	if sc.Schema.Migrations != nil && len(sc.Baseline) > 0 {
		for _, st := range sc.Baseline {
			if err := applyBaselineFile(ctx, conn, st); err != nil {
				if note := sc.BaselineNote(); note != "" {
					return fmt.Errorf("%w\n(%s)", err, note)
				}
				return err
			}
		}
		return nil
	}
	err := migrate.ExecScript(ctx, conn, sc.SchemaSQL, nil)
	return schemaError(err, sc.SchemaPos)
}

// applyBaselineFile runs one migration file of the baseline the way its
// tool does: in a transaction unless the tool would not use one, so that
// statements that need a transaction block (LOCK TABLE) apply as they did
// in production.
func applyBaselineFile(ctx context.Context, conn *pgx.Conn, st *scenarios.Step) error {
	if !st.InTransaction() {
		return schemaError(migrate.ExecScript(ctx, conn, st.SQL, nil), st.SQLPos)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("baseline %s: begin: %w", st.Name, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := migrate.ExecScript(ctx, tx, st.SQL, nil); err != nil {
		return schemaError(err, st.SQLPos)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("baseline %s: commit: %w", st.Name, err)
	}
	return nil
}

// schemaError locates a failed baseline statement in its file.
func schemaError(err error, posOf func(offset int) scenarios.Pos) error {
	var stmtErr *migrate.StatementError
	if err == nil || !errors.As(err, &stmtErr) {
		return err
	}
	pos := posOf(stmtErr.Offset)
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
