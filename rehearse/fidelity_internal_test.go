package rehearse

import "testing"

func TestProductionFlag(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		p50, mean float64
		want      string
	}{
		{0.3, 0.02, ""},        // 15× but a round trip: under the floor
		{25, 2, "slower"},      // 12.5× and 23 ms apart
		{0.4, 5, "faster"},     // a smaller table than production
		{9, 1, ""},             // 9×: close enough
		{0, 1, ""},             // no baseline
		{100, 10, "slower"},    // exactly 10×
		{1.05, 10.5, "faster"}, // exactly 10× faster
	} {
		if got, _ := productionFlag(tc.p50, tc.mean); got != tc.want {
			t.Errorf("p50 %v, mean %v: %q, want %q", tc.p50, tc.mean, got, tc.want)
		}
	}
}
