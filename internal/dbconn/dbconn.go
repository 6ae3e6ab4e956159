// Package dbconn opens the connections of a rehearsal, each with the
// application_name of its role, and reads roles back from
// pg_stat_activity's application_name. The lock monitor attributes every
// wait by that name, so each name is written here once.
package dbconn

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
)

// Prefix starts every application_name rehearse sets; the DSN provider
// tells its own sessions from other clients by it.
const Prefix = "rehearse/"

// The application_name of each role that is not a traffic workload.
const (
	Setup       = Prefix + "setup"       // schema, data checks, compatibility checks
	Migration   = Prefix + "migration"   // the migration steps (and command steps' tools)
	Monitor     = Prefix + "monitor"     // the lock monitor
	Replication = Prefix + "replication" // the standby lag sampler
	Profile     = Prefix + "profile"     // rehearse profile on a production replica
	Standby     = Prefix + "standby"     // the standby's WAL receiver
	Datagen     = Prefix + "datagen"     // data loading
	// BackgroundPrefix starts a background session's name; the session's
	// own name follows it.
	BackgroundPrefix = Prefix + "background/"
)

// Workload is the application_name of a traffic workload's connections.
func Workload(name string) string { return Prefix + name }

// Background is the application_name of a background session.
func Background(name string) string { return BackgroundPrefix + name }

// Kind says which role an application_name belongs to.
type Kind int

// The roles ParseApp tells apart.
const (
	Other          Kind = iota // not a rehearse session
	KindWorkload               // a traffic workload; Name is the workload
	KindBackground             // a background session; Name is the session
	KindMigration              // the migration session
	KindInternal               // setup, monitor, sampler and the like
)

// App is a parsed application_name.
type App struct {
	Kind Kind
	// Name is the workload or background session's name; for other kinds
	// the application_name itself.
	Name string
}

// ParseApp reads the role from an application_name. workloads names the
// traffic workloads of the run: any other "rehearse/x" is internal.
func ParseApp(app string, workloads map[string]bool) App {
	switch {
	case app == Migration:
		return App{Kind: KindMigration, Name: app}
	case strings.HasPrefix(app, BackgroundPrefix):
		return App{Kind: KindBackground, Name: strings.TrimPrefix(app, BackgroundPrefix)}
	case strings.HasPrefix(app, Prefix):
		if name := strings.TrimPrefix(app, Prefix); workloads[name] {
			return App{Kind: KindWorkload, Name: name}
		}
		return App{Kind: KindInternal, Name: app}
	}
	return App{Kind: Other, Name: app}
}

// Option adjusts a connection's configuration.
type Option func(*pgx.ConnConfig)

// WithCancelRequest makes a cancelled context send the server a cancel
// request, and close the socket only when the statement has not stopped
// after delay. pgx's default closes the connection at once, which would
// lose a session that is still needed (rollback steps, COMMIT at shutdown)
// and leave a backend blocked on a lock in pg_stat_activity.
func WithCancelRequest(delay time.Duration) Option {
	return func(cfg *pgx.ConnConfig) {
		cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
			return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: delay}
		}
	}
}

// WithParams sets server settings for the session (statement_timeout, ...).
func WithParams(params map[string]string) Option {
	return func(cfg *pgx.ConnConfig) {
		for k, v := range params {
			cfg.RuntimeParams[k] = v
		}
	}
}

// Config parses dsn and sets application_name to app.
func Config(dsn, app string, opts ...Option) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse dsn: %w", err)
	}
	for _, opt := range opts {
		opt(cfg)
	}
	cfg.RuntimeParams["application_name"] = app
	return cfg, nil
}

// Connect opens one connection as app.
func Connect(ctx context.Context, dsn, app string, opts ...Option) (*pgx.Conn, error) {
	cfg, err := Config(dsn, app, opts...)
	if err != nil {
		return nil, err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect as %s: %w", app, err)
	}
	return conn, nil
}
