// Package pglock is PostgreSQL's table-lock vocabulary: the eight modes of
// the "Explicit Locking" chapter, their order and which of them conflict.
// The lint rules predict modes, the lock monitor and the step trace read
// them from pg_locks, and the verdict judges them: all in these terms.
package pglock

import "strings"

// Mode is a table lock mode, weakest first; LOCK TABLE's mode numbers and
// pg_locks' names follow the same order.
type Mode int

// The table lock modes, weakest first. None is no lock (or a name this
// package does not know).
const (
	None Mode = iota
	AccessShare
	RowShare
	RowExclusive
	ShareUpdateExclusive
	Share
	ShareRowExclusive
	Exclusive
	AccessExclusive
)

var names = [...]string{"", "AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock",
	"ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"}

// conflicts[m] is the set of modes that m conflicts with, as bits 1<<mode,
// from the documentation's table of conflicting lock modes.
var conflicts = [...]uint16{
	None:                 0,
	AccessShare:          bits(AccessExclusive),
	RowShare:             bits(Exclusive, AccessExclusive),
	RowExclusive:         bits(Share, ShareRowExclusive, Exclusive, AccessExclusive),
	ShareUpdateExclusive: bits(ShareUpdateExclusive, Share, ShareRowExclusive, Exclusive, AccessExclusive),
	Share:                bits(RowExclusive, ShareUpdateExclusive, ShareRowExclusive, Exclusive, AccessExclusive),
	ShareRowExclusive:    bits(RowExclusive, ShareUpdateExclusive, Share, ShareRowExclusive, Exclusive, AccessExclusive),
	Exclusive:            bits(RowShare, RowExclusive, ShareUpdateExclusive, Share, ShareRowExclusive, Exclusive, AccessExclusive),
	AccessExclusive:      bits(AccessShare, RowShare, RowExclusive, ShareUpdateExclusive, Share, ShareRowExclusive, Exclusive, AccessExclusive),
}

func bits(modes ...Mode) uint16 {
	var b uint16
	for _, m := range modes {
		b |= 1 << m
	}
	return b
}

// Parse returns the mode pg_locks calls name ("AccessExclusiveLock"); None
// for anything else.
func Parse(name string) Mode {
	for i, n := range names {
		if i > 0 && n == name {
			return Mode(i)
		}
	}
	return None
}

// String is the mode as pg_locks names it ("AccessExclusiveLock"); "" for None.
func (m Mode) String() string {
	if m < None || m > AccessExclusive {
		return ""
	}
	return names[m]
}

// Words is the mode as the documentation and messages write it
// ("ACCESS EXCLUSIVE").
func (m Mode) Words() string {
	name := strings.TrimSuffix(m.String(), "Lock")
	var b strings.Builder
	for i, r := range name {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}

// Article is Words with "a" or "an" before it ("an ACCESS EXCLUSIVE").
func (m Mode) Article() string {
	w := m.Words()
	if strings.HasPrefix(w, "A") || strings.HasPrefix(w, "E") {
		return "an " + w
	}
	return "a " + w
}

// Conflicts reports whether a lock in mode m and one in mode other cannot
// be held on the same table by two sessions at once.
func (m Mode) Conflicts(other Mode) bool {
	if m < None || m > AccessExclusive || other < None || other > AccessExclusive {
		return false
	}
	return conflicts[m]&(1<<other) != 0
}

// BlocksWrites reports whether m conflicts with the ROW EXCLUSIVE lock that
// INSERT, UPDATE and DELETE take: SHARE and stronger.
func (m Mode) BlocksWrites() bool { return m.Conflicts(RowExclusive) }

// BlocksReads reports whether m conflicts with the ACCESS SHARE lock of a
// plain SELECT: only ACCESS EXCLUSIVE does.
func (m Mode) BlocksReads() bool { return m.Conflicts(AccessShare) }

// Strength orders pg_locks mode names from weakest (1, AccessShareLock) to
// strongest (8, AccessExclusiveLock); anything else is 0.
func Strength(name string) int { return int(Parse(name)) }

// Stronger reports whether mode name a is stronger than b. Unknown names
// rank below every known one.
func Stronger(a, b string) bool { return Parse(a) > Parse(b) }

// BlocksWrites reports whether the mode pg_locks calls name blocks writes.
func BlocksWrites(name string) bool { return Parse(name).BlocksWrites() }
