package lockmon

import "testing"

// The sampling rate and the pg_locks read follow lockState: a lock wait of
// any session speeds sampling up and reads pg_locks in full; the migration
// running (not idle) calls for its granted locks only.
func TestLockState(t *testing.T) {
	const mig = "rehearse/migration"
	cases := []struct {
		name      string
		rows      []activityRow
		lockWait  bool
		migrating bool
	}{
		{"nothing", nil, false, false},
		{"traffic busy", []activityRow{{app: "rehearse/old", state: "active", waitType: "IO", wait: "DataFileRead"}}, false, false},
		{"traffic waits for a lock", []activityRow{{app: "rehearse/old", state: "active", waitType: "Lock", wait: "relation"}}, true, false},
		{"another application waits", []activityRow{{app: "", state: "active", waitType: "Lock", wait: "transactionid"}}, true, false},
		{"migration runs", []activityRow{{pid: 7, app: mig, state: "active"}}, false, true},
		{"migration idle in transaction", []activityRow{{app: mig, state: "idle in transaction"}}, false, true},
		{"migration idle", []activityRow{{app: mig, state: "idle"}}, false, false},
		{"migration waits", []activityRow{{app: mig, state: "active", waitType: "Lock", wait: "relation"}}, true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lockWait, migration := lockState(c.rows, mig)
			if lockWait != c.lockWait || (len(migration) > 0) != c.migrating {
				t.Errorf("lockState = %v, %v; want a wait %v, the migration running %v", lockWait, migration, c.lockWait, c.migrating)
			}
		})
	}
}
