package datagen

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rehearse/rehearse/internal/pgtest"
	"github.com/rehearse/rehearse/scenarios"
)

// shopSchema has an identity parent, a serial child that references it
// without a foreign key (so the test, not the database, checks the refs),
// and a column filled by its default.
const shopSchema = `
CREATE TABLE users (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name       text NOT NULL,
  email      text,
  created_at timestamptz NOT NULL,
  country    text,
  balance    numeric(12,2),
  status     text NOT NULL DEFAULT 'active'
);
CREATE TABLE orders (
  id      serial PRIMARY KEY,
  user_id bigint NOT NULL,
  amount  numeric(10,2) NOT NULL,
  placed  date NOT NULL
);`

func shopData(seed int64, users, orders scenarios.Count) scenarios.Data {
	return scenarios.Data{Seed: seed, Tables: map[string]*scenarios.Table{
		"users": {Rows: users, Columns: map[string]*scenarios.ValueSpec{
			"name":       {Gen: "name"},
			"email":      {Gen: "email", NullRatio: 0.05},
			"created_at": {Gen: "date"},
			"country":    {Gen: "country"},
			"balance":    {Gen: "price", Min: ptr(0), Max: ptr(5000)},
		}},
		"orders": {Rows: orders, Columns: map[string]*scenarios.ValueSpec{
			"user_id": {Ref: "users.id"},
			"amount":  {Gen: "price"},
			"placed":  {Gen: "date", From: "2024-01-01", To: "2024-12-31"},
		}},
	}}
}

var shopOrder = []string{"users", "orders"}

func shopDB(t testing.TB) string {
	t.Helper()
	dsn := pgtest.NewDB(t)
	pgtest.Exec(t, dsn, shopSchema)
	return dsn
}

func queryInt(t *testing.T, dsn, sql string) int64 {
	t.Helper()
	var n int64
	if err := pgtest.Connect(t, dsn).QueryRow(context.Background(), sql).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func queryText(t *testing.T, dsn, sql string) string {
	t.Helper()
	var s string
	if err := pgtest.Connect(t, dsn).QueryRow(context.Background(), sql).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}

func mustLoad(t *testing.T, dsn string, data scenarios.Data, order []string, opts ...Option) Loaded {
	t.Helper()
	res, err := Load(context.Background(), dsn, data, order, opts...)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return res
}

func TestLoadCountsRefsAndResult(t *testing.T) {
	dsn := shopDB(t)
	res := mustLoad(t, dsn, shopData(1, 12_345, 23_456), shopOrder)

	if len(res.Tables) != 2 || res.Tables[0].Name != "users" || res.Tables[1].Name != "orders" {
		t.Fatalf("tables = %+v", res.Tables)
	}
	for _, tl := range res.Tables {
		if tl.Bytes <= 0 {
			t.Errorf("%s: bytes = %d", tl.Name, tl.Bytes)
		}
	}
	if res.Tables[0].Rows != 12_345 || res.Tables[1].Rows != 23_456 {
		t.Errorf("reported rows = %d, %d", res.Tables[0].Rows, res.Tables[1].Rows)
	}
	if n := queryInt(t, dsn, "SELECT count(*) FROM users"); n != 12_345 {
		t.Errorf("users has %d rows", n)
	}
	if n := queryInt(t, dsn, "SELECT count(*) FROM orders"); n != 23_456 {
		t.Errorf("orders has %d rows", n)
	}
	orphans := queryInt(t, dsn, "SELECT count(*) FROM orders o LEFT JOIN users u ON u.id = o.user_id WHERE u.id IS NULL")
	if orphans != 0 {
		t.Errorf("%d orders reference no user", orphans)
	}
	// The refs spread over the parents rather than piling on a few.
	if n := queryInt(t, dsn, "SELECT count(DISTINCT user_id) FROM orders"); n < 8_000 {
		t.Errorf("orders reference only %d distinct users", n)
	}
	if n := queryInt(t, dsn, "SELECT count(*) FROM pg_stats WHERE tablename IN ('users', 'orders')"); n == 0 {
		t.Error("tables were not analyzed")
	}
}

func TestLoadLeavesDefaultsAndKeepsSequencesReproducible(t *testing.T) {
	dsn := shopDB(t)
	// A row already there: the load continues the sequence after it.
	pgtest.Exec(t, dsn, "INSERT INTO users (name, created_at) VALUES ('seed row', now())")
	mustLoad(t, dsn, shopData(1, 1000, 500), shopOrder, WithConnections(3))

	if got := queryText(t, dsn, "SELECT min(id) || '..' || max(id) || ' ' || count(DISTINCT id) FROM users"); got != "1..1001 1001" {
		t.Errorf("users ids: %s, want 1..1001 1001", got)
	}
	if n := queryInt(t, dsn, "SELECT count(*) FROM users WHERE status <> 'active'"); n != 0 {
		t.Errorf("%d users missed the default status", n)
	}
	// Traffic inserts after the load must not collide with loaded ids.
	if id := queryInt(t, dsn, "INSERT INTO users (name, created_at) VALUES ('after', now()) RETURNING id"); id != 1002 {
		t.Errorf("next identity = %d, want 1002", id)
	}
	if id := queryInt(t, dsn, "INSERT INTO orders (user_id, amount, placed) VALUES (1, 1, now()) RETURNING id"); id != 501 {
		t.Errorf("next serial = %d, want 501", id)
	}
}

func TestLoadDescribedSerialAndDefaultsOnly(t *testing.T) {
	dsn := pgtest.NewDB(t)
	pgtest.Exec(t, dsn, `
CREATE TABLE tags (id serial PRIMARY KEY, name text);
CREATE TABLE events (at timestamptz NOT NULL DEFAULT now(), kind text DEFAULT 'click');`)
	data := scenarios.Data{Seed: 1, Tables: map[string]*scenarios.Table{
		"tags":   {Rows: 50, Columns: map[string]*scenarios.ValueSpec{"id": {Gen: "sequential"}, "name": {Gen: "word"}}},
		"events": {Rows: 30},
	}}
	mustLoad(t, dsn, data, []string{"tags", "events"})
	if id := queryInt(t, dsn, "INSERT INTO tags (name) VALUES ('new') RETURNING id"); id != 51 {
		t.Errorf("next serial after sequential ids 1..50 = %d, want 51", id)
	}
	if n := queryInt(t, dsn, "SELECT count(*) FROM events WHERE kind = 'click'"); n != 30 {
		t.Errorf("events has %d default rows, want 30", n)
	}
}

// digest is an md5 of a table's full content in key order.
func digest(t *testing.T, dsn, table string) string {
	t.Helper()
	return queryText(t, dsn, "SELECT md5(string_agg(x::text, ',' ORDER BY x.id)) FROM "+table+" x")
}

func TestLoadIsReproducibleWhateverTheConnections(t *testing.T) {
	data := shopData(42, 25_000, 25_000)
	one, many, other := shopDB(t), shopDB(t), shopDB(t)
	mustLoad(t, one, data, shopOrder, WithConnections(1))
	mustLoad(t, many, data, shopOrder, WithConnections(4))
	mustLoad(t, other, shopData(43, 25_000, 25_000), shopOrder, WithConnections(2))

	for _, table := range shopOrder {
		a, b, c := digest(t, one, table), digest(t, many, table), digest(t, other, table)
		if a != b {
			t.Errorf("%s: 1 and 4 connections loaded different data", table)
		}
		if a == c {
			t.Errorf("%s: seeds 42 and 43 loaded the same data", table)
		}
	}
}

func TestLoadNullRatio(t *testing.T) {
	dsn := shopDB(t)
	data := shopData(9, 10_000, 0)
	data.Tables["users"].Columns["email"].NullRatio = 0.5
	mustLoad(t, dsn, data, shopOrder)
	nulls := queryInt(t, dsn, "SELECT count(*) FROM users WHERE email IS NULL")
	if nulls < 4000 || nulls > 6000 {
		t.Errorf("%d of 10000 emails are NULL, want about half", nulls)
	}
}

func TestLoadColumnTypes(t *testing.T) {
	dsn := pgtest.NewDB(t)
	pgtest.Exec(t, dsn, `
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE SCHEMA app;
CREATE TABLE app.typed (
  id        bigserial PRIMARY KEY,
  small     smallint NOT NULL,
  amount    numeric(8,2) NOT NULL,
  ratio     float8,
  born      date NOT NULL,
  seen      timestamp NOT NULL,
  seen_tz   timestamptz NOT NULL,
  token     uuid NOT NULL UNIQUE,
  short     varchar(5) NOT NULL,
  code      char(3),
  active    bool NOT NULL,
  ip        inet,
  feeling   mood,
  doc       jsonb,
  label     jsonb,
  seq_no    posint UNIQUE,
  uuid_text text,
  fixed_day date,
  created   timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE tokens (token uuid NOT NULL, note varchar(40));`)
	data := scenarios.Data{Seed: 5, Tables: map[string]*scenarios.Table{
		"app.typed": {Rows: 2500, Columns: map[string]*scenarios.ValueSpec{
			"small":     {Gen: "number", Min: ptr(1), Max: ptr(100)},
			"amount":    {Gen: "price", Max: ptr(999_999.99)},
			"ratio":     {Gen: "number"},
			"born":      {Gen: "date", From: "1990-01-01", To: "2000-12-31"},
			"seen":      {Gen: "date"},
			"seen_tz":   {Gen: "date"},
			"token":     {Gen: "uuid"},
			"short":     {Gen: "sentence"},
			"code":      {Gen: "countryabr"},
			"active":    {Gen: "bool"},
			"ip":        {Gen: "ipv4address"},
			"feeling":   {Value: "happy"},
			"doc":       {Value: `{"a": 1}`},
			"label":     {Gen: "word"},
			"seq_no":    {Gen: "sequential"},
			"uuid_text": {Gen: "uuid"},
			"fixed_day": {Value: "2024-02-29"},
		}},
		"tokens": {Rows: 100, Columns: map[string]*scenarios.ValueSpec{
			"token": {Ref: "app.typed.token"},
			"note":  {Ref: "app.typed.token"}, // uuid keys written as text
		}},
	}}
	mustLoad(t, dsn, data, []string{"app.typed", "tokens"})

	checks := map[string]int64{
		"SELECT count(*) FROM app.typed":                                                  2500,
		"SELECT count(*) FROM app.typed WHERE small BETWEEN 1 AND 100":                    2500,
		"SELECT count(*) FROM app.typed WHERE born BETWEEN '1990-01-01' AND '2000-12-31'": 2500,
		"SELECT count(DISTINCT token) FROM app.typed":                                     2500,
		"SELECT (max(length(short)) <= 5 AND min(length(short)) > 0)::int FROM app.typed": 1,
		"SELECT count(*) FROM app.typed WHERE feeling = 'happy'":                          2500,
		"SELECT count(*) FROM app.typed WHERE doc = '{\"a\": 1}'":                         2500,
		"SELECT count(*) FROM app.typed WHERE jsonb_typeof(label) = 'string'":             2500,
		"SELECT count(*) FROM app.typed WHERE family(ip) = 4":                             2500,
		"SELECT max(seq_no) - min(seq_no) + 1 FROM app.typed":                             2500,
		"SELECT count(*) FROM app.typed WHERE uuid_text::uuid IS NOT NULL":                2500,
		"SELECT count(*) FROM app.typed WHERE fixed_day = '2024-02-29'":                   2500,
		"SELECT count(*) FROM app.typed WHERE created IS NOT NULL":                        2500,
		"SELECT count(*) FROM app.typed WHERE amount <> round(amount, 2) OR amount < 1":   0,
		"SELECT count(*) FROM tokens t JOIN app.typed a USING (token)":                    100,
		"SELECT count(*) FROM tokens t JOIN app.typed a ON a.token = t.note::uuid":        100,
	}
	for sql, want := range checks {
		if got := queryInt(t, dsn, sql); got != want {
			t.Errorf("%s = %d, want %d", sql, got, want)
		}
	}
}

func TestLoadReportsEveryProblemBeforeLoading(t *testing.T) {
	dsn := shopDB(t)
	pgtest.Exec(t, dsn, "CREATE TABLE typed (small smallint, token uuid, flag bool)")
	data := shopData(1, 100, 100)
	users := data.Tables["users"].Columns
	users["nmae"] = users["name"]
	delete(users, "name")
	data.Tables["typed"] = &scenarios.Table{Rows: 10, Columns: map[string]*scenarios.ValueSpec{
		"small": {Gen: "number"},
		"token": {Gen: "number", Min: ptr(1), Max: ptr(5)},
		"flag":  {Value: "maybe"},
	}}
	data.Tables["missing"] = &scenarios.Table{Rows: 1}
	_, err := Load(context.Background(), dsn, data, []string{"users", "orders", "typed", "missing"})
	if err == nil {
		t.Fatal("load succeeded")
	}
	for _, want := range []string{
		`load table users: column "nmae" does not exist`,
		`load table typed: column "small" (smallint): generator number yields values in 1..1000000, beyond the type's range`,
		`load table typed: column "token" (uuid): generator number yields integers, which do not fit`,
		`load table typed: column "flag" (boolean): `,
		`load table missing: table "missing" does not exist`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
	if n := queryInt(t, dsn, "SELECT count(*) FROM orders"); n != 0 {
		t.Errorf("orders was loaded (%d rows) despite the errors", n)
	}
}

func TestLoadChecksTheOrder(t *testing.T) {
	dsn := shopDB(t)
	_, err := Load(context.Background(), dsn, shopData(1, 10, 10), []string{"orders", "users", "users", "nope"})
	for _, want := range []string{"users is listed twice", "nope has no description in data.tables"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not say %q", err, want)
		}
	}
	// A table missing from the order still loads, and a parent loads before
	// its children whatever the order says.
	res := mustLoad(t, dsn, shopData(1, 10, 10), []string{"orders"})
	if len(res.Tables) != 2 || res.Tables[0].Name != "users" || res.Tables[1].Rows != 10 {
		t.Errorf("tables = %+v, want users then orders", res.Tables)
	}
}

func TestLoadRefToEmptyTable(t *testing.T) {
	dsn := shopDB(t)
	data := shopData(1, 0, 10)
	delete(data.Tables, "users") // users exists but nothing fills it
	_, err := Load(context.Background(), dsn, data, []string{"orders"})
	if !errors.Is(err, ErrNoKeys) || !strings.Contains(err.Error(), "users.id") {
		t.Errorf("got %v, want ErrNoKeys naming users.id", err)
	}
}

func TestLoadMakesUniqueColumnsUnique(t *testing.T) {
	dsn := shopDB(t)
	pgtest.Exec(t, dsn, "ALTER TABLE users ADD CONSTRAINT users_country_key UNIQUE (country)")
	mustLoad(t, dsn, shopData(1, 5000, 0), shopOrder)
	if n := queryInt(t, dsn, "SELECT count(DISTINCT country) FROM users"); n != 5000 {
		t.Errorf("%d distinct countries in 5000 users", n)
	}
}

func TestLoadRefusesUniqueRefsWithTooFewKeys(t *testing.T) {
	dsn := shopDB(t)
	pgtest.Exec(t, dsn, `CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE TABLE domains (name text); INSERT INTO domains VALUES ('a.example'), ('b.example')`)
	data := shopData(1, 100, 0)
	data.Tables["users"].Columns["email"] = &scenarios.ValueSpec{Ref: "domains.name"}
	_, err := Load(context.Background(), dsn, data, shopOrder)
	if err == nil || !strings.Contains(err.Error(), "100 rows cannot have distinct values among 2") {
		t.Errorf("got %v", err)
	}
	if n := queryInt(t, dsn, "SELECT count(*) FROM users"); n != 0 {
		t.Errorf("%d users loaded", n)
	}
}

func TestLoadExplainsUniqueViolationsAndRestoresTheSchema(t *testing.T) {
	dsn := shopDB(t)
	// datagen makes email unique, but cannot see that its first three
	// letters must be too: the violation shows when the index is rebuilt.
	pgtest.Exec(t, dsn, `CREATE UNIQUE INDEX users_email_prefix ON users (left(email, 3));
CREATE INDEX users_country ON users (country)`)
	_, err := Load(context.Background(), dsn, shopData(1, 1000, 0), shopOrder)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "23505" {
		t.Fatalf("got %v, want a 23505 PgError in the chain", err)
	}
	for _, want := range []string{"index users_email_prefix on users", "generated values of", "repeat"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q: %v", want, err)
		}
	}
	// The indexes dropped for the load are back, except the one the data breaks.
	indexes := queryText(t, dsn, "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE tablename = 'users'")
	if indexes != "users_country,users_pkey" {
		t.Errorf("indexes after the failed load: %s", indexes)
	}
}

func TestLoadStopsWhenCancelledBeforeStart(t *testing.T) {
	dsn := shopDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Load(ctx, dsn, shopData(1, 100, 100), shopOrder)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

// cancelWriter cancels the load at its first progress line.
type cancelWriter struct {
	cancel context.CancelFunc
	buf    bytes.Buffer
}

func (w *cancelWriter) Write(p []byte) (int, error) {
	w.cancel()
	return w.buf.Write(p)
}

func TestLoadStopsWhenCancelledWhileLoading(t *testing.T) {
	for _, conns := range []int{1, 3} {
		dsn := shopDB(t)
		ctx, cancel := context.WithCancel(context.Background())
		w := &cancelWriter{cancel: cancel}
		_, err := Load(ctx, dsn, shopData(1, 40_000, 100), shopOrder, WithConnections(conns), WithProgress(w, false))
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("%d connections: got %v, want context.Canceled", conns, err)
		}
		if conns == 1 {
			// One connection: the first chunk is in, the cancel is seen before the next.
			if n := queryInt(t, dsn, "SELECT count(*) FROM users"); n != ChunkRows {
				t.Errorf("users has %d rows after cancelling at the first chunk", n)
			}
		}
	}
}

// lockedBuffer is a bytes.Buffer safe for the loader's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func TestLoadProgress(t *testing.T) {
	var plain, tty lockedBuffer
	mustLoad(t, shopDB(t), shopData(1, 30_000, 5), shopOrder, WithProgress(&plain, false))
	mustLoad(t, shopDB(t), shopData(1, 30_000, 5), shopOrder, WithProgress(&tty, true))

	lines := strings.Split(strings.TrimSpace(plain.buf.String()), "\n")
	want := []string{"users: 10000/30000 rows (33%)", "users: 20000/30000 rows (67%)", "users: 30000/30000 rows (100%)", "orders: 5/5 rows (100%)"}
	var got []string
	for _, l := range lines {
		if strings.Contains(l, " rows (") {
			got = append(got, l)
			if !strings.Contains(l, "rows/s") {
				t.Errorf("line %q has no rate", l)
			}
		}
	}
	if len(got) != len(want) {
		t.Fatalf("plain progress:\n%s", plain.buf.String())
	}
	for i, w := range want {
		if !strings.HasPrefix(got[i], w) {
			t.Errorf("line %d = %q, want it to start with %q", i, got[i], w)
		}
	}
	for _, w := range []string{"users: 1 index or constraint rebuilt in ", "vacuum (freeze) and analyze: 2 tables in "} {
		if !strings.Contains(plain.buf.String(), w) {
			t.Errorf("plain progress lacks %q:\n%s", w, plain.buf.String())
		}
	}
	out := tty.buf.String()
	for _, w := range []string{"\x1b[2K", "users", "30000/30000", "rows/s", "orders", "vacuum (freeze) and analyze: 2 tables"} {
		if !strings.Contains(out, w) {
			t.Errorf("tty progress lacks %q: %q", w, out)
		}
	}
}
