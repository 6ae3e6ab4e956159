package dscache

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// sizeUnits are the units FormatSize writes and ParseSize reads: powers of
// 1000, as disk sizes are sold and as df -H shows them.
var sizeUnits = []struct {
	name  string
	bytes float64
}{{"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1}}

// ParseSize reads "10GB", "500 MB", "1.5TB" or a number of bytes. KB, MB,
// GB and TB are powers of 1000; KiB, MiB, GiB and TiB powers of 1024.
func ParseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := 1.0
	for _, u := range []struct {
		suffix string
		bytes  float64
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"TIB", 1 << 40}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.bytes
			break
		}
	}
	x, err := strconv.ParseFloat(t, 64)
	if err != nil || x < 0 || math.IsInf(x*mult, 0) || math.IsNaN(x) {
		return 0, fmt.Errorf("size %q: write it like 10GB, 500MB or 1.5TB", s)
	}
	return int64(x * mult), nil
}

// ParseAge reads an age: "7d", "36h", "90m", or any Go duration.
func ParseAge(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if days, ok := strings.CutSuffix(t, "d"); ok {
		x, err := strconv.ParseFloat(days, 64)
		if err == nil && x >= 0 && x < 1e5 {
			return time.Duration(x * 24 * float64(time.Hour)), nil
		}
	}
	d, err := time.ParseDuration(t)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("age %q: write it like 7d, 36h or 90m", s)
	}
	return d, nil
}
