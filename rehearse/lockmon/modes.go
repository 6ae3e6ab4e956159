// Package lockmon samples pg_locks and pg_stat_activity on its own connection
// to record who waited for which lock, behind which statement, for how long,
// and which relation locks the migration session held.
package lockmon

// modeRank orders PostgreSQL's table lock modes from weakest to strongest, as
// in the conflict table of the documentation ("Explicit Locking").
var modeRank = map[string]int{
	"AccessShareLock":          1,
	"RowShareLock":             2,
	"RowExclusiveLock":         3,
	"ShareUpdateExclusiveLock": 4,
	"ShareLock":                5,
	"ShareRowExclusiveLock":    6,
	"ExclusiveLock":            7,
	"AccessExclusiveLock":      8,
}

// Stronger reports whether lock mode a is stronger than b. Unknown modes rank
// below every known one.
func Stronger(a, b string) bool { return modeRank[a] > modeRank[b] }

// BlocksWrites reports whether mode conflicts with the RowExclusiveLock that
// INSERT, UPDATE and DELETE take.
func BlocksWrites(mode string) bool { return modeRank[mode] >= modeRank["ShareLock"] }

// BlocksReads reports whether mode conflicts with the AccessShareLock of SELECT.
func BlocksReads(mode string) bool { return mode == "AccessExclusiveLock" }
