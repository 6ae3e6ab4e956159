// Package lockmon samples pg_locks and pg_stat_activity on its own connection
// to record who waited for which lock, behind which statement, for how long,
// and which relation locks the migration session held.
package lockmon

import "github.com/rehearse/rehearse/rehearse/result"

// Stronger reports whether lock mode a is stronger than b. Unknown modes rank
// below every known one.
func Stronger(a, b string) bool { return result.LockStrength(a) > result.LockStrength(b) }

// BlocksWrites reports whether mode conflicts with the RowExclusiveLock that
// INSERT, UPDATE and DELETE take.
func BlocksWrites(mode string) bool {
	return result.LockStrength(mode) >= result.LockStrength("ShareLock")
}

// BlocksReads reports whether mode conflicts with the AccessShareLock of SELECT.
func BlocksReads(mode string) bool { return mode == "AccessExclusiveLock" }
