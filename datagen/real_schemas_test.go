package datagen

import (
	"testing"

	"github.com/rehearse/rehearse/internal/pgtest"
	"github.com/rehearse/rehearse/scenarios"
)

// A one-character code column named like a status (level, type) gets
// labels that fit it, and a composite unique whose last member cannot hold
// that many distinct values is made distinct through another member: both
// as in a real project's schema that failed to load.
func TestLoadShortCodesInCompositeUniques(t *testing.T) {
	dsn := pgtest.NewDB(t)
	pgtest.Exec(t, dsn, `
CREATE TABLE labels (id serial PRIMARY KEY, name varchar(128) NOT NULL, level char(1) NOT NULL);
CREATE TABLE members (id serial PRIMARY KEY, project_id int NOT NULL, entity_id int NOT NULL,
    entity_type char(1) NOT NULL, UNIQUE (project_id, entity_id, entity_type));`)
	data := scenarios.Data{Seed: 1, Tables: map[string]*scenarios.Table{"labels": {Rows: 500}, "members": {Rows: 2000}}}
	mustLoad(t, dsn, data, nil)
	if n := queryInt(t, dsn, "SELECT count(*) FROM members"); n != 2000 {
		t.Errorf("members has %d rows, want 2000", n)
	}
	if n := queryInt(t, dsn, "SELECT count(*) FROM labels WHERE length(level) = 1"); n != 500 {
		t.Errorf("%d of 500 labels have a one-character level", n)
	}
}

// Found on the same project: rows the schema's own SQL inserted (with an
// explicit id, behind the sequence; a unique column's value 1), a composite
// unique with a constant-default member, and two tables whose first rows
// are tried through columns of the same names but other types.
func TestLoadAroundRowsAndDefaultsTheSchemaLeft(t *testing.T) {
	dsn := pgtest.NewDB(t)
	pgtest.Exec(t, dsn, `
CREATE TABLE usage (id serial PRIMARY KEY, reference varchar(255) NOT NULL, used jsonb NOT NULL);
INSERT INTO usage (id, reference, used) VALUES (1, 'project', '{}');
CREATE TABLE allowlist (id serial PRIMARY KEY, project_id int UNIQUE, items text NOT NULL);
INSERT INTO allowlist (project_id, items) VALUES (1, '[]');
CREATE TABLE artifacts (id serial PRIMARY KEY, repository varchar(256) NOT NULL,
    digest varchar(255) NOT NULL DEFAULT '', vendor varchar(255) NOT NULL DEFAULT '',
    UNIQUE (repository, digest, vendor));
CREATE TABLE a_codes (code int NOT NULL);
CREATE TABLE b_codes (code text NOT NULL);`)
	data := scenarios.Data{Seed: 1, Tables: map[string]*scenarios.Table{
		"usage": {Rows: 300}, "allowlist": {Rows: 300}, "artifacts": {Rows: 300}, "a_codes": {Rows: 10}, "b_codes": {Rows: 10}}}
	mustLoad(t, dsn, data, nil)
	for table, want := range map[string]int64{"usage": 301, "allowlist": 301, "artifacts": 300, "b_codes": 10} {
		if n := queryInt(t, dsn, "SELECT count(*) FROM "+table); n != want {
			t.Errorf("%s has %d rows, want %d", table, n, want)
		}
	}
}
