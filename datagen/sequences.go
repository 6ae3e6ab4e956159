package datagen

import (
	"context"
	"fmt"

	"github.com/brianvoe/gofakeit/v7"
	"github.com/jackc/pgx/v5"
)

// seqFill is a column owning a sequence (serial, identity). When the scenario
// does not describe it, datagen writes next, next+inc, ... by row index: the
// ids a serial load would get, which concurrent COPYs drawing from the
// sequence would hand out in a different order on every run. Afterwards the
// sequence is moved past the written values so that inserts by traffic do not
// collide with them.
type seqFill struct {
	col *column
	// written marks a described column: its values come from the scenario and
	// the sequence is only moved past their maximum.
	written   bool
	next, inc int64
	last      int64
}

// newSeqFill reads the column's sequence; nil means the sequence counts down,
// and the column is left to the database.
func newSeqFill(ctx context.Context, conn *pgx.Conn, col *column, rows int64) (*seqFill, error) {
	var inc, maxValue, lastValue int64
	var called bool
	err := conn.QueryRow(ctx, "SELECT seqincrement, seqmax FROM pg_sequence WHERE seqrelid = $1::regclass", col.sequence).Scan(&inc, &maxValue)
	if err != nil {
		return nil, fmt.Errorf("column %q: read sequence %s: %w", col.name, col.sequence, err)
	}
	// pg_get_serial_sequence quotes the name it returns, so it is safe as SQL.
	err = conn.QueryRow(ctx, "SELECT last_value, is_called FROM "+col.sequence).Scan(&lastValue, &called)
	if err != nil {
		return nil, fmt.Errorf("column %q: read sequence %s: %w", col.name, col.sequence, err)
	}
	if inc <= 0 {
		return nil, nil
	}
	s := &seqFill{col: col, next: lastValue, inc: inc}
	if called {
		s.next += inc
	}
	s.last = s.next + (max(rows, 1)-1)*inc
	_, typeMax := intRange(col.base)
	// Compare in float64: the products above may have overflowed int64.
	if rows > 0 && (float64(s.next)+float64(rows-1)*float64(inc) > min(float64(maxValue), typeMax) || s.last < s.next) {
		return nil, fmt.Errorf("column %q: %d rows would take sequence %s past its maximum %d", col.name, rows, col.sequence, maxValue)
	}
	return s, nil
}

// skipExisting starts the values after the largest one already in the
// table: a schema that inserts rows with explicit ids (INSERT ... (id, ...)
// VALUES (1, ...)) leaves the sequence behind them.
func (s *seqFill) skipExisting(ctx context.Context, conn *pgx.Conn, t *table) error {
	var top *int64
	q := fmt.Sprintf("SELECT max(%s)::bigint FROM %s", pgx.Identifier{s.col.name}.Sanitize(), t.ident.Sanitize())
	if err := conn.QueryRow(ctx, q).Scan(&top); err != nil {
		return fmt.Errorf("column %q: read the largest value already there: %w", s.col.name, err)
	}
	if top == nil || *top < s.next {
		return nil
	}
	shift := ((*top-s.next)/s.inc + 1) * s.inc
	s.next += shift
	s.last += shift
	return nil
}

func (s *seqFill) value(_ *gofakeit.Faker, row int64) any { return s.next + row*s.inc }

// advanceSequences moves each sequence of the table past the values written
// into its column.
func advanceSequences(ctx context.Context, conn *pgx.Conn, p *tablePlan, seqs []*seqFill) error {
	for _, s := range seqs {
		var err error
		switch {
		case s.written:
			err = syncSequence(ctx, conn, p.t, s.col)
		case p.rows > 0:
			_, err = conn.Exec(ctx, "SELECT setval($1::regclass, $2, true)", s.col.sequence, s.last)
		}
		if err != nil {
			return fmt.Errorf("column %q: advance sequence %s: %w", s.col.name, s.col.sequence, err)
		}
	}
	return nil
}

// syncSequence moves an ascending sequence to the column's maximum when the
// scenario's values went past it.
func syncSequence(ctx context.Context, conn *pgx.Conn, t *table, col *column) error {
	q := fmt.Sprintf(`SELECT setval($1::regclass, m)
FROM (SELECT max(%s) AS m FROM %s) x
WHERE m IS NOT NULL AND m >= (SELECT last_value FROM %s)
  AND (SELECT seqincrement FROM pg_sequence WHERE seqrelid = $1::regclass) > 0`,
		pgx.Identifier{col.name}.Sanitize(), t.ident.Sanitize(), col.sequence)
	_, err := conn.Exec(ctx, q, col.sequence)
	return err
}
