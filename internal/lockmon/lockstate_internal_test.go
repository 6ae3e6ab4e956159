package lockmon

import (
	"testing"
	"unicode/utf8"
)

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

// A blocker's query is cut to a length in bytes, never inside a character.
func TestTruncateKeepsUTF8(t *testing.T) {
	q := "UPDATE users SET name = 'Zoë Ångström' WHERE id = 1"
	for n := 0; n <= len(q); n++ {
		got := truncate(q, n)
		if !utf8.ValidString(got) {
			t.Fatalf("truncate(%q, %d) = %q: not valid UTF-8", q, n, got)
		}
		if n < len(q) && len(got) > n+len("…") {
			t.Fatalf("truncate(%q, %d) = %q: longer than %d bytes and the ellipsis", q, n, got, n)
		}
	}
}
