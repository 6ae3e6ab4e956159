package lockmon

import (
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgtype"
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

// While sessions wait for a lock, the next sample is due at a twentieth
// of the youngest wait's age, between the interval and the idle interval;
// without waitstart, at the interval.
func TestLockWaitInterval(t *testing.T) {
	now := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	m := &Monitor{opts: options{interval: 10 * time.Millisecond, idle: 50 * time.Millisecond}, offset: 3 * time.Second}
	waiting := func(age time.Duration) lockRow {
		// waitstart is on the server's clock, offset ahead of ours.
		return lockRow{waitstart: pgtype.Timestamptz{Time: now.Add(-age + m.offset), Valid: true}}
	}
	cases := []struct {
		name string
		rows []lockRow
		want time.Duration
	}{
		{"no waiting row", []lockRow{{granted: true}}, 10 * time.Millisecond},
		{"young wait", []lockRow{waiting(50 * time.Millisecond)}, 10 * time.Millisecond},
		{"wait of 400ms", []lockRow{waiting(400 * time.Millisecond)}, 20 * time.Millisecond},
		{"wait of 2s", []lockRow{waiting(2 * time.Second)}, 50 * time.Millisecond},
		{"the youngest decides", []lockRow{waiting(2 * time.Second), {granted: true}, waiting(600 * time.Millisecond)}, 30 * time.Millisecond},
		{"no waitstart", []lockRow{waiting(2 * time.Second), {}}, 10 * time.Millisecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := m.lockWaitInterval(c.rows, now); got != c.want {
				t.Errorf("lockWaitInterval = %v, want %v", got, c.want)
			}
		})
	}
}
