package datagen

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/rehearse/rehearse/internal/pgtest"
)

// TestStatsDist draws arguments from a skewed column, a uniform integer
// column and a timestamp column as ANALYZE describes them, and sends them
// back as parameters.
func TestStatsDist(t *testing.T) {
	dsn := pgtest.NewDB(t)
	pgtest.Exec(t, dsn, `CREATE TABLE events (id bigint PRIMARY KEY, status text, at timestamptz);
		INSERT INTO events SELECT g,
		  CASE WHEN g % 10 < 7 THEN 'new' WHEN g % 10 < 9 THEN 'paid' ELSE 'other-' || g END,
		  timestamptz '2025-01-01 00:00:00+00' + g * interval '1 minute'
		FROM generate_series(1, 20000) g;
		ANALYZE events;
		CREATE TABLE empty (id bigint);`)
	conn := pgtest.Connect(t, dsn)
	ctx := context.Background()
	f := SeededFaker(7, "stats", 0)

	status, err := LoadStatsDist(ctx, conn, "events.status")
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	const n = 20000
	for range n {
		counts[status.Pick(f).(string)]++
	}
	for v, want := range map[string]float64{"new": 0.7, "paid": 0.2} {
		if got := float64(counts[v]) / n; math.Abs(got-want) > 0.02 {
			t.Errorf("status %s drawn %.3f of the time, want %.2f", v, got, want)
		}
	}

	id, err := LoadStatsDist(ctx, conn, "public.events.id")
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	var found int
	for range 2000 {
		v := id.Pick(f)
		var x float64
		if err := conn.QueryRow(ctx, "SELECT $1::bigint::float8", v).Scan(&x); err != nil {
			t.Fatalf("id %v: %v", v, err)
		}
		if x < 1 || x > 20000 {
			t.Fatalf("id %v outside 1..20000", v)
		}
		sum += x
	}
	if mean := sum / 2000; math.Abs(mean-10000) > 600 {
		t.Errorf("mean id %.0f, want about 10000 (uniform)", mean)
	}
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM events WHERE id = ANY($1)", id.PickArray(f, 3)).Scan(&found); err != nil || found < 1 {
		t.Errorf("= ANY of an array literal: %d rows, %v", found, err)
	}

	at, err := LoadStatsDist(ctx, conn, "events.at")
	if err != nil {
		t.Fatal(err)
	}
	var ts time.Time
	if err := conn.QueryRow(ctx, "SELECT $1::timestamptz", at.Pick(f)).Scan(&ts); err != nil {
		t.Fatal(err)
	}
	if lo, hi := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC); ts.Before(lo) || ts.After(hi) {
		t.Errorf("timestamp %v outside the column's range", ts)
	}

	if _, err := LoadStatsDist(ctx, conn, "empty.id"); !errors.Is(err, ErrNoStats) {
		t.Errorf("empty table: err = %v, want ErrNoStats", err)
	}
}
