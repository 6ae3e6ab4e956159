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
