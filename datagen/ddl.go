package datagen

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// deferredDDL is what Load takes off the loaded tables before the load and
// puts back after it, as pg_restore does: maintaining indexes and checking
// constraints row by row costs far more than building and validating them
// once. Definitions come from pg_get_indexdef and pg_get_constraintdef.
type deferredDDL struct {
	tables map[uint32]*tableDDL
	// fks are the foreign keys on or to a loaded table.
	fks []*fkDDL
	// kept names objects that could not be dropped (other objects depend on
	// them); they stay in place during the load.
	kept []string
}

// tableDDL is one loaded table's indexes and constraints.
type tableDDL struct {
	t *table
	// builds create indexes (those of PRIMARY KEY and UNIQUE constraints
	// too); they can run in parallel, each taking a SHARE lock.
	builds []ddlStmt
	// constraints are the ADD CONSTRAINT clauses that turn built indexes
	// into PRIMARY KEY and UNIQUE constraints and add the CHECK and EXCLUDE
	// constraints: one ALTER TABLE runs them all, so that one scan of the
	// table validates every CHECK. checks counts the CHECK clauses.
	constraints []ddlStmt
	checks      int
	// after are comments and index options, run once the constraints exist.
	after []ddlStmt
}

// attach is the one ALTER TABLE adding every constraint; "" for none.
func (td *tableDDL) attach() ddlStmt {
	if len(td.constraints) == 0 {
		return ddlStmt{}
	}
	clauses := make([]string, len(td.constraints))
	for i, c := range td.constraints {
		clauses[i] = c.sql
	}
	return ddlStmt{"ALTER TABLE " + td.t.ident.Sanitize() + " " + strings.Join(clauses, ", "),
		"constraints of " + identName(td.t.ident)}
}

// fkDDL re-adds a foreign key (NOT VALID) and validates it.
type fkDDL struct {
	child    pgx.Identifier
	name     string
	add      ddlStmt
	validate string
	comment  string
	// after are statements to run once the foreign key is back (its comment).
	after []ddlStmt
}

// ddlStmt is a statement and what it is about, for messages.
type ddlStmt struct {
	sql  string
	what string
}

// captureDDL reads the indexes and constraints of the plans' loaded
// (ordinary) tables and the foreign keys on or to them. Constraints whose
// kind (p, u, c, x) is in keep stay in place during the load.
func captureDDL(ctx context.Context, conn *pgx.Conn, plans []*tablePlan, keep string) (*deferredDDL, error) {
	d := &deferredDDL{tables: map[uint32]*tableDDL{}}
	var oids []uint32
	for _, p := range plans {
		if p.rows == 0 || !p.t.plain {
			continue
		}
		oids = append(oids, p.t.oid)
		d.tables[p.t.oid] = tableDDLOf(p.t, keep)
	}
	if len(oids) == 0 {
		return d, nil
	}
	fks, err := readForeignKeys(ctx, conn, oids)
	if err != nil {
		return nil, fmt.Errorf("read foreign keys: %w", err)
	}
	d.fks = fks
	return d, nil
}

func tableDDLOf(t *table, keep string) *tableDDL {
	td := &tableDDL{t: t}
	ident := t.ident.Sanitize()
	for _, c := range t.constraints {
		if c.inherited || c.kind == 'f' || strings.IndexByte(keep, c.kind) >= 0 {
			continue
		}
		what := fmt.Sprintf("constraint %s on %s", c.name, identName(t.ident))
		name := pgx.Identifier{c.name}.Sanitize()
		switch c.kind {
		case 'p', 'u':
			td.builds = append(td.builds, ddlStmt{c.index, what})
			kind := "UNIQUE"
			if c.kind == 'p' {
				kind = "PRIMARY KEY"
			}
			td.constraints = append(td.constraints, ddlStmt{fmt.Sprintf("ADD CONSTRAINT %s %s USING INDEX %s%s",
				name, kind, pgx.Identifier{c.indexName}.Sanitize(), deferrable(c.def)), what})
		case 'x':
			td.constraints = append(td.constraints, ddlStmt{fmt.Sprintf("ADD CONSTRAINT %s %s", name, c.def), what})
		case 'c':
			td.constraints = append(td.constraints, ddlStmt{fmt.Sprintf("ADD CONSTRAINT %s %s", name, c.def), what})
			td.checks++
		}
		if c.comment != "" {
			td.after = append(td.after, ddlStmt{fmt.Sprintf("COMMENT ON CONSTRAINT %s ON %s IS %s", name, ident, quoteLiteral(c.comment)), what})
		}
	}
	for _, ix := range t.indexes {
		if !ix.valid {
			continue // an invalid index is left as it is
		}
		what := fmt.Sprintf("index %s on %s", ix.name, identName(t.ident))
		td.builds = append(td.builds, ddlStmt{ix.def, what})
		idx := pgx.Identifier{t.ident[0], ix.name}.Sanitize()
		if ix.comment != "" {
			td.after = append(td.after, ddlStmt{fmt.Sprintf("COMMENT ON INDEX %s IS %s", idx, quoteLiteral(ix.comment)), what})
		}
		if ix.clustered {
			td.after = append(td.after, ddlStmt{fmt.Sprintf("ALTER TABLE %s CLUSTER ON %s", ident, pgx.Identifier{ix.name}.Sanitize()), what})
		}
		if ix.replIdent {
			td.after = append(td.after, ddlStmt{fmt.Sprintf("ALTER TABLE %s REPLICA IDENTITY USING INDEX %s", ident, pgx.Identifier{ix.name}.Sanitize()), what})
		}
	}
	return td
}

// deferrable carries a constraint's DEFERRABLE clause over to USING INDEX.
func deferrable(def string) string {
	switch {
	case strings.Contains(def, "INITIALLY DEFERRED"):
		return " DEFERRABLE INITIALLY DEFERRED"
	case strings.Contains(def, "DEFERRABLE") && !strings.Contains(def, "NOT DEFERRABLE"):
		return " DEFERRABLE"
	}
	return ""
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

const foreignKeysSQL = `
SELECT n.nspname, r.relname, c.conname, pg_get_constraintdef(c.oid), c.convalidated,
       coalesce(obj_description(c.oid, 'pg_constraint'), '')
FROM pg_constraint c
JOIN pg_class r ON r.oid = c.conrelid
JOIN pg_namespace n ON n.oid = r.relnamespace
WHERE c.contype = 'f' AND c.conislocal AND c.coninhcount = 0
  AND (c.conrelid = ANY($1) OR c.confrelid = ANY($1))
ORDER BY n.nspname, r.relname, c.conname`

func readForeignKeys(ctx context.Context, conn *pgx.Conn, oids []uint32) ([]*fkDDL, error) {
	rows, err := conn.Query(ctx, foreignKeysSQL, oids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*fkDDL
	for rows.Next() {
		var nsp, rel, def string
		var validated bool
		fk := &fkDDL{}
		if err := rows.Scan(&nsp, &rel, &fk.name, &def, &validated, &fk.comment); err != nil {
			return nil, err
		}
		fk.child = pgx.Identifier{nsp, rel}
		ident, name := fk.child.Sanitize(), pgx.Identifier{fk.name}.Sanitize()
		if validated {
			def += " NOT VALID"
			fk.validate = fmt.Sprintf("ALTER TABLE %s VALIDATE CONSTRAINT %s", ident, name)
		}
		fk.add = ddlStmt{fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s", ident, name, def),
			fmt.Sprintf("foreign key %s on %s", fk.name, identName(fk.child))}
		if fk.comment != "" {
			fk.after = append(fk.after, ddlStmt{fmt.Sprintf("COMMENT ON CONSTRAINT %s ON %s IS %s", name, ident, quoteLiteral(fk.comment)), fk.add.what})
		}
		out = append(out, fk)
	}
	return out, rows.Err()
}

// drop removes the captured objects in one transaction: foreign keys, then
// constraints, then indexes. An object that other objects depend on (a
// view grouping by a primary key, a foreign key inherited by partitions)
// stays, and so do the statements that would re-create it.
func (d *deferredDDL) drop(ctx context.Context, conn *pgx.Conn) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("drop indexes and constraints: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	try := func(sql, what string) (bool, error) {
		if _, err := tx.Exec(ctx, "SAVEPOINT rehearse_drop"); err != nil {
			return false, err
		}
		if _, err := tx.Exec(ctx, sql); err != nil {
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) || ctx.Err() != nil {
				return false, err
			}
			if _, err := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT rehearse_drop"); err != nil {
				return false, err
			}
			d.kept = append(d.kept, fmt.Sprintf("%s (%s)", what, pgErr.Message))
			return false, nil
		}
		return true, nil
	}
	var fks []*fkDDL
	for _, fk := range d.fks {
		ok, err := try(fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s", fk.child.Sanitize(), pgx.Identifier{fk.name}.Sanitize()), fk.add.what)
		if err != nil {
			return fmt.Errorf("drop %s: %w", fk.add.what, err)
		}
		if ok {
			fks = append(fks, fk)
		}
	}
	d.fks = fks
	for _, td := range d.tables {
		if err := td.dropAll(try); err != nil {
			return err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("drop indexes and constraints: %w", err)
	}
	return nil
}

// dropAll drops the table's constraints and indexes, keeping the
// statements of those dropped.
func (td *tableDDL) dropAll(try func(sql, what string) (bool, error)) error {
	ident := td.t.ident.Sanitize()
	keep := map[string]bool{} // "what" of the objects that stay
	for _, c := range td.t.constraints {
		if c.inherited || c.kind == 'f' || !td.has(c.name) {
			continue
		}
		what := fmt.Sprintf("constraint %s on %s", c.name, identName(td.t.ident))
		ok, err := try(fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s", ident, pgx.Identifier{c.name}.Sanitize()), what)
		if err != nil {
			return fmt.Errorf("drop %s: %w", what, err)
		}
		keep[what] = !ok
	}
	for _, ix := range td.t.indexes {
		if !ix.valid {
			continue
		}
		what := fmt.Sprintf("index %s on %s", ix.name, identName(td.t.ident))
		ok, err := try("DROP INDEX "+pgx.Identifier{td.t.ident[0], ix.name}.Sanitize(), what)
		if err != nil {
			return fmt.Errorf("drop %s: %w", what, err)
		}
		keep[what] = !ok
	}
	filter := func(stmts []ddlStmt) []ddlStmt {
		var out []ddlStmt
		for _, s := range stmts {
			if !keep[s.what] {
				out = append(out, s)
			}
		}
		return out
	}
	td.builds, td.constraints, td.after = filter(td.builds), filter(td.constraints), filter(td.after)
	td.checks = 0
	for _, c := range td.constraints {
		if strings.Contains(c.sql, " CHECK ") {
			td.checks++
		}
	}
	return nil
}

// has reports whether the table's statements re-create a constraint.
func (td *tableDDL) has(name string) bool {
	what := fmt.Sprintf("constraint %s on %s", name, identName(td.t.ident))
	for _, s := range append(td.builds, td.constraints...) {
		if s.what == what {
			return true
		}
	}
	return false
}

// exec runs one re-creating statement, explaining failures that come from
// the generated data.
func exec(ctx context.Context, conn *pgx.Conn, s ddlStmt) error {
	if _, err := conn.Exec(ctx, s.sql); err != nil {
		return ddlError(ctx, s, err)
	}
	return nil
}

func ddlError(ctx context.Context, s ddlStmt, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", s.what, ctx.Err())
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505":
			what := "generated values repeat"
			if m := uniqueKey.FindStringSubmatch(pgErr.Detail); m != nil {
				what = fmt.Sprintf("generated values of (%s) repeat", m[1])
			}
			return fmt.Errorf("%s: %s: give the column unique: true or gen: sequential, or a generator with more distinct values: %w", s.what, what, err)
		case "23503":
			return fmt.Errorf("%s: generated rows reference keys that do not exist (a ref: to another column than the foreign key's?): %w", s.what, err)
		case "23514", "23P01":
			return fmt.Errorf("%s: generated rows violate it; describe its columns under data.tables so that they satisfy it: %w", s.what, err)
		}
	}
	return fmt.Errorf("%s: %w", s.what, err)
}

// restore re-creates what is left after a failed load, as far as it can:
// constraints come back NOT VALID (no scan), and failures are listed with
// the statements to run by hand.
func (d *deferredDDL) restore(ctx context.Context, conn *pgx.Conn, done map[string]bool) error {
	var errs []error
	run := func(sql, what string) {
		if done[sql] {
			return
		}
		if _, err := conn.Exec(ctx, sql); err != nil {
			errs = append(errs, fmt.Errorf("re-create %s: %w (statement: %s)", what, err, sql))
		}
	}
	for _, td := range d.tables {
		for _, s := range td.builds {
			run(s.sql, s.what)
		}
		if !done[td.attach().sql] {
			// One constraint at a time, CHECKs unvalidated: what can come
			// back does, even when the data breaks another.
			for _, c := range td.constraints {
				sql := "ALTER TABLE " + td.t.ident.Sanitize() + " " + c.sql
				if strings.Contains(c.sql, " CHECK ") && !strings.HasSuffix(c.sql, " NOT VALID") {
					sql += " NOT VALID"
				}
				run(sql, c.what)
			}
		}
		for _, s := range td.after {
			run(s.sql, s.what)
		}
	}
	for _, fk := range d.fks {
		run(fk.add.sql, fk.add.what)
		for _, s := range fk.after {
			run(s.sql, s.what)
		}
	}
	return errors.Join(errs...)
}
