package lint

import (
	"strings"
	"testing"
)

// A rewrite's severity follows the table's size once it is known.
func TestSizesSetSeverity(t *testing.T) {
	steps := buildSteps([]step{{sql: "ALTER TABLE users ALTER COLUMN balance TYPE bigint", lockTimeout: true}})
	tests := []struct {
		size TableSize
		want Severity
	}{
		{TableSize{Rows: 1_000, Bytes: 100 << 10}, Info},
		{TableSize{Rows: 500_000, Bytes: 80 << 20}, Warning},
		{TableSize{Rows: 100_000_000, Bytes: 20 << 30}, Error},
		{TableSize{Rows: 5_000, Bytes: 2 << 30}, Error}, // few rows, but wide: the bytes decide
	}
	for _, tc := range tests {
		f := Steps(steps, WithSchema(testSchema), WithSizes(map[string]TableSize{"users": tc.size}))
		if len(f) != 1 || f[0].Severity != tc.want || !f[0].Sized || f[0].Rows != tc.size.Rows || !strings.Contains(f[0].Message, " rows, ") {
			t.Errorf("size %+v: %+v, want severity %s", tc.size, f, tc.want)
		}
	}
	if f := Steps(steps, WithSchema(testSchema)); len(f) != 1 || f[0].Sized || f[0].Severity != Error {
		t.Errorf("without sizes: %+v, want the rule's severity and no size", f)
	}
	// A rule about breaking code does not depend on size.
	drop := buildSteps([]step{{sql: "ALTER TABLE users DROP COLUMN email", lockTimeout: true}})
	f := Steps(drop, WithSchema(testSchema), WithQueries(oldQueries...), WithSizes(map[string]TableSize{"users": {Rows: 10}}))
	if len(f) != 1 || f[0].Severity != Error || f[0].Sized {
		t.Errorf("drop-in-use with a tiny table: %+v, want error", f)
	}
}
