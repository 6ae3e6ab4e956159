package provider

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/internal/dbconn"
)

// ErrNotDisposable is returned when an existing database is used without the
// user saying it may be changed.
var ErrNotDisposable = errors.New("refusing to use an existing database without --disposable: " +
	"a rehearsal creates tables, loads rows and runs DDL; pass --disposable only for a throwaway copy")

// DSN uses an existing database. It never starts or stops a server.
type DSN struct {
	// URL is a libpq connection string or postgres:// URL.
	URL string
	// Disposable is the user's statement that the database may be changed.
	Disposable bool
	// ForceNonEmpty allows a database that has tables or other sessions;
	// without it such a database is refused, as it may be a live one.
	ForceNonEmpty bool
}

var _ Provider = DSN{}

// Start checks the database answers. Settings cannot be applied to a running
// server from here, so they are listed in the instance's warnings.
func (d DSN) Start(ctx context.Context, cfg Config) (*Instance, error) {
	if !d.Disposable {
		return nil, ErrNotDisposable
	}
	conn, err := pgx.Connect(ctx, d.URL)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", Redact(d.URL), err)
	}
	defer conn.Close(ctx)
	if !d.ForceNonEmpty {
		if err := refuseLive(ctx, conn); err != nil {
			return nil, fmt.Errorf("refusing %s: %w", Redact(d.URL), err)
		}
	}
	inst := NewInstance(d.URL, "dsn", map[string]string{}, nil)
	if len(cfg.Settings) > 0 {
		keys := make([]string, 0, len(cfg.Settings))
		for k := range cfg.Settings {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		inst.Warnings = append(inst.Warnings, "settings not applied with --dsn (set them on the server): "+strings.Join(keys, ", "))
	}
	return inst, nil
}

// refuseLive says why a database looks like one in use: other client
// sessions connected to it, or tables of its own. Both are normal for a
// production database and never for a throwaway one.
func refuseLive(ctx context.Context, conn *pgx.Conn) error {
	var sessions, tables int
	err := conn.QueryRow(ctx, `SELECT
  (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
     AND backend_type = 'client backend' AND coalesce(application_name, '') NOT LIKE '`+dbconn.Prefix+`%'),
  (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%')`).Scan(&sessions, &tables)
	if err != nil {
		return fmt.Errorf("check the database is not in use: %w", err)
	}
	switch {
	case sessions > 0:
		return fmt.Errorf("%d other sessions are connected, so it looks live; pass --force-nonempty if it is a throwaway copy", sessions)
	case tables > 0:
		return fmt.Errorf("it already has %d tables; a rehearsal needs an empty database (pass --force-nonempty to use it anyway)", tables)
	}
	return nil
}

// Redact hides the password of a postgres:// URL or a key=value DSN.
func Redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" && u.Host != "" {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		return u.String()
	}
	fields := strings.Fields(dsn)
	for i, f := range fields {
		if strings.HasPrefix(f, "password=") {
			fields[i] = "password=xxxxx"
		}
	}
	return strings.Join(fields, " ")
}
