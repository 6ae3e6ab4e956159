package datagen

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rehearse/rehearse/internal/pgtest"
	"github.com/rehearse/rehearse/scenarios"
)

// richSchema has what production schemas have: identity and uuid keys,
// foreign keys (NOT NULL, nullable, multi-column, to the table itself),
// unique and composite keys, enums, CHECK constraints, domains, jsonb,
// arrays, and columns with constant and computed defaults.
const richSchema = `
CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped', 'cancelled');
CREATE TYPE tag_color AS ENUM ('red', 'green', 'blue');
CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0);
CREATE SCHEMA shop;

CREATE TABLE shop.accounts (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email       varchar(60) NOT NULL UNIQUE,
  full_name   text NOT NULL,
  country     char(2) NOT NULL CHECK (country IN ('US', 'DE', 'FR', 'JP')),
  age         smallint CHECK (age BETWEEN 18 AND 120),
  balance     numeric(10,2) NOT NULL DEFAULT 0 CHECK (balance >= 0),
  karma       positive_int NOT NULL,
  referrer_id bigint REFERENCES shop.accounts(id),
  last_ip     inet,
  avatar      bytea,
  settings    jsonb NOT NULL DEFAULT '{}',
  tags        text[] NOT NULL,
  colors      tag_color[],
  scores      integer[],
  api_key     uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
  signed_up   timestamptz NOT NULL DEFAULT now(),
  birthday    date,
  status      text NOT NULL DEFAULT 'active',
  nickname    varchar(12) CHECK (length(nickname) >= 3),
  search      text GENERATED ALWAYS AS (lower(full_name)) STORED
);
CREATE INDEX accounts_signed_up ON shop.accounts (signed_up);
CREATE INDEX accounts_lower_name ON shop.accounts (lower(full_name));

CREATE TABLE products (
  sku      text PRIMARY KEY CHECK (length(sku) <= 20),
  title    varchar(80) NOT NULL,
  price    numeric(8,2) NOT NULL CHECK (price > 0),
  weight_g integer NOT NULL CHECK (weight_g > 0 AND weight_g < 50000),
  meta     json
);

CREATE TABLE orders (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id  bigint NOT NULL REFERENCES shop.accounts(id),
  status      order_status NOT NULL,
  total       numeric(12,2) NOT NULL CHECK (total >= 0),
  placed_at   timestamptz NOT NULL,
  shipped_at  timestamptz,
  note        text,
  seq         bigint NOT NULL UNIQUE
);
CREATE INDEX orders_account ON orders (account_id, placed_at);

CREATE TABLE order_items (
  order_id uuid NOT NULL REFERENCES orders(id),
  sku      text NOT NULL REFERENCES products(sku),
  quantity integer NOT NULL CHECK (quantity BETWEEN 1 AND 99),
  PRIMARY KEY (order_id, sku)
);

CREATE TABLE shipments (
  id       serial PRIMARY KEY,
  order_id uuid NOT NULL,
  sku      text NOT NULL,
  carrier  text NOT NULL CHECK (carrier IN ('ups', 'dhl', 'fedex')),
  FOREIGN KEY (order_id, sku) REFERENCES order_items (order_id, sku)
);`

// richData names only row counts.
func richData(seed int64) scenarios.Data {
	return scenarios.Data{Seed: seed, Tables: map[string]*scenarios.Table{
		"shop.accounts": {Rows: 3000},
		"products":      {Rows: 500},
		"orders":        {Rows: 8000},
		"order_items":   {Rows: 20000},
		"shipments":     {Rows: 5000},
	}}
}

// schemaObjects lists the constraints and indexes of the public and shop
// schemas with their definitions and whether they are validated.
func schemaObjects(t *testing.T, dsn string) string {
	t.Helper()
	return queryText(t, dsn, `
SELECT string_agg(x, E'\n' ORDER BY x) FROM (
  SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) || ' valid=' || convalidated AS x
  FROM pg_constraint WHERE connamespace IN ('public'::regnamespace, 'shop'::regnamespace)
  UNION ALL
  SELECT 'index ' || indexrelid::regclass || ' ' || pg_get_indexdef(indexrelid) || ' valid=' || indisvalid
  FROM pg_index WHERE indrelid IN (SELECT oid FROM pg_class WHERE relnamespace IN ('public'::regnamespace, 'shop'::regnamespace))
) s`)
}

func TestLoadRowCountsOnlyKeepsEveryConstraint(t *testing.T) {
	dsn := pgtest.NewDB(t)
	pgtest.Exec(t, dsn, richSchema)
	before := schemaObjects(t, dsn)
	res := mustLoad(t, dsn, richData(7), nil)

	if after := schemaObjects(t, dsn); after != before {
		t.Errorf("indexes and constraints changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if strings.Contains(before, "valid=false") {
		t.Errorf("some constraint or index is not valid:\n%s", before)
	}
	want := map[string]int64{"shop.accounts": 3000, "products": 500, "orders": 8000, "order_items": 20000, "shipments": 5000}
	for _, tl := range res.Tables {
		if tl.Rows != want[tl.Name] || tl.Bytes <= 0 {
			t.Errorf("%s: %d rows, %d bytes", tl.Name, tl.Rows, tl.Bytes)
		}
		if n := queryInt(t, dsn, "SELECT count(*) FROM "+tl.Name); n != want[tl.Name] {
			t.Errorf("%s has %d rows", tl.Name, n)
		}
	}
	// The parents load first, whatever the given order.
	var order []string
	for _, tl := range res.Tables {
		order = append(order, tl.Name)
	}
	if strings.Join(order, " ") != "products shop.accounts orders order_items shipments" {
		t.Errorf("load order %v", order)
	}
	checks := map[string]int64{
		// Values spread, as production's do: not one value per column.
		"SELECT count(DISTINCT status) FROM orders":                         4,
		"SELECT count(DISTINCT country) FROM shop.accounts":                 4,
		"SELECT (count(DISTINCT account_id) > 2000)::int FROM orders":       1,
		"SELECT (count(DISTINCT full_name) > 1000)::int FROM shop.accounts": 1,
		// Columns with a constant default keep it; computed ones are generated.
		"SELECT count(*) FROM shop.accounts WHERE status = 'active'":                 3000,
		"SELECT (count(DISTINCT signed_up) > 2900)::int FROM shop.accounts":          1,
		"SELECT count(*) FROM shop.accounts WHERE search = lower(full_name)":         3000,
		"SELECT count(*) FROM shop.accounts WHERE email LIKE '%@%'":                  3000,
		"SELECT count(*) FROM shop.accounts WHERE cardinality(tags) BETWEEN 1 AND 3": 3000,
		"SELECT count(*) FROM shop.accounts WHERE jsonb_typeof(settings) = 'object'": 3000,
		// A self-reference forms a tree: roots and rows pointing at older rows.
		"SELECT (count(*) FILTER (WHERE referrer_id IS NULL) BETWEEN 100 AND 600)::int FROM shop.accounts": 1,
		"SELECT count(*) FROM shop.accounts WHERE referrer_id > id":                                        0,
	}
	for sql, want := range checks {
		if got := queryInt(t, dsn, sql); got != want {
			t.Errorf("%s = %d, want %d", sql, got, want)
		}
	}
	// Traffic inserts after the load do not collide with loaded ids.
	if id := queryInt(t, dsn, "INSERT INTO shipments (order_id, sku, carrier) SELECT order_id, sku, 'ups' FROM order_items LIMIT 1 RETURNING id"); id != 5001 {
		t.Errorf("next shipment id = %d, want 5001", id)
	}
	_ = context.Background()
}

// copyDigest is the sha256 of COPY ... TO STDOUT of each table, rows in
// key order (the physical order of rows loaded in parallel varies).
func copyDigest(t *testing.T, dsn string) map[string]string {
	t.Helper()
	conn := pgtest.Connect(t, dsn)
	out := map[string]string{}
	for table, key := range map[string]string{
		"shop.accounts": "id", "products": "sku", "orders": "id", "order_items": "order_id, sku", "shipments": "id",
	} {
		h := sha256.New()
		sql := fmt.Sprintf("COPY (SELECT * FROM %s ORDER BY %s) TO STDOUT", table, key)
		if _, err := conn.PgConn().CopyTo(context.Background(), h, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		out[table] = hex.EncodeToString(h.Sum(nil))
	}
	return out
}

func TestSameSeedGivesByteIdenticalData(t *testing.T) {
	load := func(seed int64, conns int) map[string]string {
		dsn := pgtest.NewDB(t)
		pgtest.Exec(t, dsn, richSchema)
		mustLoad(t, dsn, richData(seed), nil, WithConnections(conns))
		return copyDigest(t, dsn)
	}
	one, four, other := load(42, 1), load(42, 4), load(43, 3)
	for table, digest := range one {
		if four[table] != digest {
			t.Errorf("%s: 1 and 4 connections loaded different bytes", table)
		}
		if other[table] == digest {
			t.Errorf("%s: seeds 42 and 43 loaded the same bytes", table)
		}
	}
}

func TestLoadForeignKeyToATableWithoutRows(t *testing.T) {
	dsn := pgtest.NewDB(t)
	pgtest.Exec(t, dsn, `
CREATE TABLE parents (id bigint PRIMARY KEY);
CREATE TABLE children (id serial PRIMARY KEY, parent_id bigint NOT NULL REFERENCES parents);
CREATE TABLE orphans (id serial PRIMARY KEY, parent_id bigint REFERENCES parents);`)
	data := scenarios.Data{Seed: 1, Tables: map[string]*scenarios.Table{"parents": {Rows: 0}, "children": {Rows: 10}}}
	_, err := Load(context.Background(), dsn, data, nil)
	if err == nil || !strings.Contains(err.Error(), "load table children: column \"parent_id\" (bigint): foreign key children_parent_id_fkey needs rows in parents, which is empty and not loaded: add it under data.tables with rows > 0") {
		t.Errorf("got %v", err)
	}
	// A nullable foreign key to an empty table is NULL.
	data = scenarios.Data{Seed: 1, Tables: map[string]*scenarios.Table{"orphans": {Rows: 10}}}
	mustLoad(t, dsn, data, nil)
	if n := queryInt(t, dsn, "SELECT count(*) FROM orphans WHERE parent_id IS NULL"); n != 10 {
		t.Errorf("%d of 10 orphans have a NULL parent", n)
	}
	// Rows the schema put there are keys too.
	pgtest.Exec(t, dsn, "INSERT INTO parents VALUES (7), (9)")
	data = scenarios.Data{Seed: 1, Tables: map[string]*scenarios.Table{"children": {Rows: 100}}}
	mustLoad(t, dsn, data, nil)
	if n := queryInt(t, dsn, "SELECT count(DISTINCT parent_id) FROM children"); n != 2 {
		t.Errorf("children reference %d distinct parents, want 2", n)
	}
}

func TestLoadForeignKeyCycles(t *testing.T) {
	dsn := pgtest.NewDB(t)
	pgtest.Exec(t, dsn, `
CREATE TABLE teams (id serial PRIMARY KEY, captain_id integer);
CREATE TABLE players (id serial PRIMARY KEY, team_id integer NOT NULL REFERENCES teams);
ALTER TABLE teams ADD FOREIGN KEY (captain_id) REFERENCES players;`)
	data := scenarios.Data{Seed: 1, Tables: map[string]*scenarios.Table{"teams": {Rows: 10}, "players": {Rows: 100}}}
	mustLoad(t, dsn, data, nil)
	if n := queryInt(t, dsn, "SELECT count(*) FROM teams WHERE captain_id IS NULL"); n != 10 {
		t.Errorf("%d of 10 captains are NULL: the nullable key of the cycle should be", n)
	}
	if n := queryInt(t, dsn, "SELECT count(DISTINCT team_id) FROM players"); n != 10 {
		t.Errorf("players are in %d teams", n)
	}
	pgtest.Exec(t, dsn, "TRUNCATE teams, players; ALTER TABLE teams ALTER COLUMN captain_id SET NOT NULL")
	_, err := Load(context.Background(), dsn, data, nil)
	if err == nil || !strings.Contains(err.Error(), "reference each other") {
		t.Errorf("got %v, want a cycle error", err)
	}
}

func TestLoadVacuumAndAnalyzeOptions(t *testing.T) {
	state := func(data scenarios.Data) string {
		dsn := shopDB(t)
		// An auto-analyze of a table of this database holds a snapshot, and
		// a VACUUM beside it cannot mark pages all-visible; autovacuum
		// picking the fresh tables is a matter of timing, so it stays off.
		pgtest.Exec(t, dsn, "ALTER TABLE users SET (autovacuum_enabled = off); ALTER TABLE orders SET (autovacuum_enabled = off)")
		mustLoad(t, dsn, data, shopOrder)
		return queryText(t, dsn, `SELECT (last_analyze IS NOT NULL) || ' ' || (last_vacuum IS NOT NULL) || ' ' || (relallvisible = relpages)
FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid WHERE s.relname = 'users'`)
	}
	data := shopData(1, 20_000, 10)
	if got := state(data); got != "true true true" {
		t.Errorf("default (vacuum freeze, analyze): analyzed, vacuumed, all visible = %s", got)
	}
	data.Vacuum, data.Analyze = VacuumNone, new(bool)
	if got := state(data); got != "false false false" {
		t.Errorf("vacuum none, analyze false: analyzed, vacuumed, all visible = %s", got)
	}
	data.Vacuum = "sometimes"
	if _, err := Load(context.Background(), shopDB(t), data, shopOrder); err == nil || !strings.Contains(err.Error(), "freeze, plain or none") {
		t.Errorf("vacuum sometimes: got %v", err)
	}
}

// The hot keys of loaded data are the hot keys of traffic drawing with the
// same spec from the same column.
func TestLoadHotKeysAreTrafficHotKeys(t *testing.T) {
	dsn := shopDB(t)
	spec := &scenarios.ValueSpec{Ref: "users.id", Hot: &scenarios.Hot{Keys: 0.05, Share: 0.9}}
	data := shopData(1, 1000, 20_000)
	data.Tables["orders"].Columns["user_id"] = spec
	mustLoad(t, dsn, data, shopOrder)
	loaded := queryText(t, dsn, `SELECT string_agg(user_id::text, ',' ORDER BY user_id) FROM
  (SELECT user_id FROM orders GROUP BY user_id ORDER BY count(*) DESC LIMIT 50) x`)

	conn := pgtest.Connect(t, dsn)
	fn, err := Compile(spec, CachedKeys(context.Background(), conn))
	if err != nil {
		t.Fatal(err)
	}
	counts := map[int64]int{}
	f := SeededFaker(5, "traffic", 0)
	for range 20_000 {
		counts[fn(f).(int64)]++
	}
	var ids []int64
	for id, c := range counts {
		if c > 100 { // a hot user gets ~360 draws, a cold one ~2
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	var parts []string
	for _, id := range ids {
		parts = append(parts, strconv.FormatInt(id, 10))
	}
	if traffic := strings.Join(parts, ","); traffic != loaded {
		t.Errorf("hot users in the data:\n%s\nin the traffic:\n%s", loaded, traffic)
	}
}

// A CHECK constraint datagen does not understand is tried on a sample of
// rows before the load, and the error says what to describe.
func TestLoadReportsChecksItCannotKeepBeforeLoading(t *testing.T) {
	dsn := pgtest.NewDB(t)
	pgtest.Exec(t, dsn, `CREATE TABLE events (
  id     serial PRIMARY KEY,
  starts timestamptz NOT NULL,
  ends   timestamptz NOT NULL,
  CONSTRAINT events_order CHECK (starts < ends))`)
	data := scenarios.Data{Seed: 1, Tables: map[string]*scenarios.Table{"events": {Rows: 5000}}}
	_, err := Load(context.Background(), dsn, data, nil)
	for _, want := range []string{"load table events: generated rows violate CHECK constraint events_order",
		"this one is CHECK ((starts < ends))", "describe its columns under data.tables.events.columns"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q: %v", want, err)
		}
	}
	if n := queryInt(t, dsn, "SELECT count(*) FROM events"); n != 0 {
		t.Errorf("%d events loaded", n)
	}
	data.Tables["events"].Columns = map[string]*scenarios.ValueSpec{
		"starts": {Gen: "date", From: "2024-01-01", To: "2024-06-30"},
		"ends":   {Gen: "date", From: "2024-07-01", To: "2024-12-31"},
	}
	mustLoad(t, dsn, data, nil)
	if n := queryInt(t, dsn, "SELECT count(*) FROM events WHERE starts < ends"); n != 5000 {
		t.Errorf("%d of 5000 events in order", n)
	}
}
