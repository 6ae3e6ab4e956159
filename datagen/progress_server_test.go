package datagen

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/rehearse/rehearse/internal/dbconn"
	"github.com/rehearse/rehearse/internal/pgtest"
)

// TestReportServerNamesLongStatements runs a long statement as the loader
// would (application_name rehearse/datagen) and checks one report names it.
func TestReportServerNamesLongStatements(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDB(t)
	busy, err := dbconn.Connect(ctx, dsn, dbconn.Datagen)
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := busy.Exec(ctx, "SELECT pg_sleep(600) /* validating */")
		done <- err
	}()
	watcher := pgtest.Connect(t, dsn)
	// Wait until the statement shows as active (a condition, polled).
	for {
		var n int
		if err := watcher.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'SELECT pg_sleep(600)%'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
	}
	var out bytes.Buffer
	reportServer(ctx, watcher, newProgress(&out, false), 0, map[string]sample{})
	if got := out.String(); !strings.Contains(got, "in progress for ") || !strings.Contains(got, "pg_sleep(600)") {
		t.Errorf("report %q does not name the long statement", got)
	}
	if _, err := watcher.Exec(ctx, "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(600)%'"); err != nil {
		t.Fatal(err)
	}
	<-done
}
