package human

import "testing"

func TestCount(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", -1234567: "-1,234,567", 100000000: "100,000,000"} {
		if got := Count(n); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestBytes(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{512: "512 B", 1024: "1.0 KiB", 3355443: "3.2 MiB", 122683392: "117 MiB", 15 << 30: "15 GiB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestMS(t *testing.T) {
	t.Parallel()
	for ms, want := range map[float64]string{0.42: "0.42ms", 12: "12ms", 1530: "1.53s", 125000: "2m05s"} {
		if got := MS(ms); got != want {
			t.Errorf("MS(%v) = %q, want %q", ms, got, want)
		}
	}
}

func TestClip(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		n    int
		want string
	}{
		{"SELECT 1", 20, "SELECT 1"},
		{"SELECT\n  id\tFROM t", 20, "SELECT id FROM t"},
		{"ALTER TABLE users ADD COLUMN x", 10, "ALTER TAB…"},
		{"émoji ünïcode", 6, "émoji…"},
	}
	for _, c := range cases {
		if got := Clip(c.in, c.n); got != c.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

func TestRowsRead(t *testing.T) {
	t.Parallel()
	if got := RowsRead(2000, 1); got != "2,000 rows read" {
		t.Errorf("one pass: %q", got)
	}
	if got := RowsRead(6000, 3); got != "6,000 rows read in 3 passes" {
		t.Errorf("three passes: %q", got)
	}
}
