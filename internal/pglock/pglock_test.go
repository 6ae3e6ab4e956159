package pglock

import "testing"

func TestParseRoundTrip(t *testing.T) {
	t.Parallel()
	for m := AccessShare; m <= AccessExclusive; m++ {
		if got := Parse(m.String()); got != m {
			t.Errorf("Parse(%q) = %v, want %v", m.String(), got, m)
		}
	}
	if Parse("AdvisoryLock") != None || Parse("") != None {
		t.Error("unknown names must parse as None")
	}
}

func TestWords(t *testing.T) {
	t.Parallel()
	if got := AccessExclusive.Article(); got != "an ACCESS EXCLUSIVE" {
		t.Errorf("Article = %q", got)
	}
	if got := ShareRowExclusive.Article(); got != "a SHARE ROW EXCLUSIVE" {
		t.Errorf("Article = %q", got)
	}
}

// TestConflictsIsSymmetric checks the table against the documentation's
// property that conflict is a symmetric relation, and a few known cells.
func TestConflictsIsSymmetric(t *testing.T) {
	t.Parallel()
	for a := None; a <= AccessExclusive; a++ {
		for b := None; b <= AccessExclusive; b++ {
			if a.Conflicts(b) != b.Conflicts(a) {
				t.Errorf("%v vs %v is not symmetric", a, b)
			}
		}
	}
	known := []struct {
		a, b Mode
		want bool
	}{
		{AccessShare, AccessExclusive, true},
		{AccessShare, Exclusive, false},
		{RowExclusive, RowExclusive, false},
		{ShareUpdateExclusive, ShareUpdateExclusive, true},
		{Share, Share, false},
		{Share, RowExclusive, true},
		{RowShare, Exclusive, true},
	}
	for _, k := range known {
		if got := k.a.Conflicts(k.b); got != k.want {
			t.Errorf("%v.Conflicts(%v) = %v, want %v", k.a, k.b, got, k.want)
		}
	}
}

func TestBlocks(t *testing.T) {
	t.Parallel()
	var writes []Mode
	for m := AccessShare; m <= AccessExclusive; m++ {
		if m.BlocksWrites() {
			writes = append(writes, m)
		}
	}
	if len(writes) != 4 || writes[0] != Share {
		t.Errorf("modes blocking writes = %v, want SHARE and stronger", writes)
	}
	if !AccessExclusive.BlocksReads() || Exclusive.BlocksReads() {
		t.Error("only ACCESS EXCLUSIVE blocks reads")
	}
	if !BlocksWrites("ShareLock") || BlocksWrites("ShareUpdateExclusiveLock") || !Stronger("ShareLock", "RowExclusiveLock") {
		t.Error("name helpers disagree with the modes")
	}
}
