package provider

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
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
