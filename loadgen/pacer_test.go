package loadgen

import (
	"math"
	"testing"
	"time"
)

func TestConstantPacer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		rate float64
		n    uint64
		want time.Duration
		ok   bool
	}{
		{"first request is due at once", 100, 0, 0, true},
		{"n over rate seconds", 100, 1, 10 * time.Millisecond, true},
		{"fractional rate", 0.5, 3, 6 * time.Second, true},
		{"high rate", 1e6, 1_000_000, time.Second, true},
		{"rate 250, request 1000", 250, 1000, 4 * time.Second, true},
		{"zero rate ends the schedule", 0, 0, 0, false},
		{"negative rate ends the schedule", -1, 5, 0, false},
		{"NaN rate ends the schedule", math.NaN(), 5, 0, false},
		{"infinite rate ends the schedule", math.Inf(1), 5, 0, false},
		{"beyond time.Duration ends the schedule", 1e-3, math.MaxUint64, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := ConstantPacer{Rate: tt.rate}.Due(tt.n)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("Due(%d) = %v, %v; want %v, %v", tt.n, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestConstantPacerIsNonDecreasingAndEvenlySpaced(t *testing.T) {
	t.Parallel()
	p := ConstantPacer{Rate: 333}
	prev := time.Duration(-1)
	for n := range uint64(100_000) {
		at, ok := p.Due(n)
		if !ok || at < prev {
			t.Fatalf("Due(%d) = %v, %v after %v", n, at, ok, prev)
		}
		// Paced from the count, not accumulated: no drift after many requests.
		if want := float64(n) / 333 * 1e9; math.Abs(float64(at)-want) > 1 {
			t.Fatalf("Due(%d) = %v, want %vns", n, at, want)
		}
		prev = at
	}
}

func TestPacerFunc(t *testing.T) {
	t.Parallel()
	var p Pacer = PacerFunc(func(n uint64) (time.Duration, bool) {
		return time.Duration(n) * time.Second, n < 3
	})
	if at, ok := p.Due(2); at != 2*time.Second || !ok {
		t.Fatalf("Due(2) = %v, %v", at, ok)
	}
	if _, ok := p.Due(3); ok {
		t.Fatal("Due(3) should end the schedule")
	}
}

func TestDefaultQueueLimit(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		rate float64
		want int
	}{{1, MinQueueLimit}, {100, 6000}, {400, 24000}, {1e6, MaxQueueLimit}, {math.NaN(), MinQueueLimit}} {
		if got := defaultQueueLimit(tt.rate); got != tt.want {
			t.Errorf("defaultQueueLimit(%v) = %d, want %d", tt.rate, got, tt.want)
		}
	}
}
