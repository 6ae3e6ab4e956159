package result

// lockModes are PostgreSQL's table lock modes from weakest to strongest, as
// in the conflict table of the documentation ("Explicit Locking").
var lockModes = []string{"AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock",
	"ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"}

// LockStrength orders table lock modes from weakest (1, AccessShareLock) to
// strongest (8, AccessExclusiveLock); anything else is 0.
func LockStrength(mode string) int {
	for i, m := range lockModes {
		if m == mode {
			return i + 1
		}
	}
	return 0
}
