package datagen

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// preflightRows is how many rows of each table are tried before loading.
const preflightRows = 1000

// preflightAll tries the first rows of every table against the table's CHECK
// and NOT NULL constraints and column types, in a temporary copy of the
// table that is rolled back, and reports every table's problem at once.
// Columns that take keys from other tables are left out (their keys do not
// exist yet); the constraints of the real tables check them after the load.
func preflightAll(ctx context.Context, conn *pgx.Conn, seed int64, plans []*tablePlan) error {
	var errs []error
	for _, p := range plans {
		if err := preflight(ctx, conn, seed, p); err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("load data: %w", ctx.Err())
			}
			errs = append(errs, fmt.Errorf("load table %s: %w", p.name, err))
		}
	}
	return errors.Join(errs...)
}

func preflight(ctx context.Context, conn *pgx.Conn, seed int64, p *tablePlan) error {
	if p.rows == 0 || !p.t.plain {
		return nil
	}
	rg, skipped, err := bindPreview(ctx, conn, p)
	if err != nil || len(rg.names) == 0 {
		return err
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	// A name of the table's own: pgx caches how it copies into a table by
	// the statement's text, and a shared name would let a table whose
	// columns have the same names but other types reuse that encoding
	// (08P01 "insufficient data left in message").
	tmp := pgx.Identifier{fmt.Sprintf("rehearse_preflight_%d", p.t.oid)}
	ddl := fmt.Sprintf("CREATE TEMP TABLE %s (LIKE %s INCLUDING ALL EXCLUDING INDEXES) ON COMMIT DROP", tmp.Sanitize(), p.t.ident.Sanitize())
	if _, err := tx.Exec(ctx, ddl); err != nil {
		return nil // a table LIKE cannot copy: only the real load will tell
	}
	for _, name := range skipped {
		if _, err := tx.Exec(ctx, fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s DROP NOT NULL", tmp.Sanitize(), pgx.Identifier{name}.Sanitize())); err != nil {
			return err
		}
	}
	src := &chunkSource{ctx: ctx, f: SeededFaker(seed, p.name, 0), slots: rg.slots, end: min(p.rows, preflightRows), vals: make([]any, len(rg.names))}
	_, err = tx.CopyFrom(ctx, tmp, rg.names, src)
	return preflightError(p, err)
}

// bindPreview binds the columns that need no keys; skipped lists the others.
func bindPreview(ctx context.Context, conn *pgx.Conn, p *tablePlan) (*rowGen, []string, error) {
	preview := &tablePlan{name: p.name, t: p.t, rows: p.rows}
	var skipped []string
	for _, cp := range p.cols {
		if cp.kind == colFK || cp.kind == colGroup || cp.kind == colSelf || cp.kind == colSpec && cp.spec.Ref != "" {
			skipped = append(skipped, cp.col.name)
			continue
		}
		preview.cols = append(preview.cols, cp)
	}
	rg, err := bind(ctx, conn, preview, nil)
	return rg, skipped, err
}

func preflightError(p *tablePlan, err error) error {
	if err == nil {
		return nil
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return fmt.Errorf("trying the first rows: %w", err)
	}
	switch pgErr.Code {
	case "23514":
		hint := "describe its columns under data.tables." + p.name + ".columns so that they satisfy it"
		for _, c := range p.checks {
			if strings.HasPrefix(c, pgErr.ConstraintName+" ") {
				hint = fmt.Sprintf("datagen keeps only simple CHECK forms (x > 0, x BETWEEN a AND b, x IN (...), length(x) <= n) and this one is %s; %s",
					strings.TrimPrefix(c, pgErr.ConstraintName+" "), hint)
			}
		}
		return fmt.Errorf("generated rows violate CHECK constraint %s: %s: %w", pgErr.ConstraintName, hint, err)
	case "23502":
		return fmt.Errorf("column %q is NOT NULL but gets NULLs: describe it under data.tables.%s.columns, without null_ratio: %w", pgErr.ColumnName, p.name, err)
	}
	return fmt.Errorf("trying the first rows: %w", err)
}
