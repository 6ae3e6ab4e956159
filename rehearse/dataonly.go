package rehearse

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/datagen"
	"github.com/rehearse/rehearse/internal/dbconn"
	"github.com/rehearse/rehearse/provider"
	"github.com/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
)

// ErrLoadNotDisposable is returned by LoadData when the target is not
// marked disposable.
var ErrLoadNotDisposable = errors.New("refusing to load data into an existing database without --disposable: " +
	"datagen writes rows and drops and re-creates the indexes and constraints of the tables it loads; " +
	"pass --disposable only for a throwaway copy")

// LoadData loads sc's data, and only its data, into the existing database
// at target.URL, whose schema must already be there (a staging clone, a
// benchmark's database): rows for every table of data.tables (and of
// data.profile), with the schema's indexes and constraints rebuilt and
// the tables vacuumed and analysed as a rehearsal's load does. It starts
// no server and runs no traffic or migration.
//
// target.Disposable must be set. Without target.ForceNonEmpty, a database
// with other client sessions, or whose tables to load already have rows,
// is refused: it may be a live one. WithSeed and WithProgress apply; other
// options are ignored. The result lists the tables loaded so far, even on
// error.
func LoadData(ctx context.Context, sc *scenarios.Scenario, target provider.DSN, opts ...Option) (result.Data, error) {
	o := buildOptions(opts)
	data := sc.Data
	if o.seed != nil {
		data.Seed = *o.seed
	}
	switch {
	case !target.Disposable:
		return result.Data{}, ErrLoadNotDisposable
	case len(data.Tables) == 0:
		return result.Data{}, errors.New("the scenario has no data.tables (or data.profile) to load")
	}
	order := sc.LoadOrder()
	if !target.ForceNonEmpty {
		if err := refuseInUse(ctx, target.URL, order); err != nil {
			return result.Data{}, fmt.Errorf("refusing %s: %w", provider.Redact(target.URL), err)
		}
	}
	loaded, err := datagen.Load(ctx, target.URL, data, order, datagen.WithProgress(o.progress, o.tty))
	if err != nil {
		return dataResult(loaded), fmt.Errorf("load data: %w", err)
	}
	return dataResult(loaded), nil
}

// refuseInUse says why a database looks in use: other client sessions, or
// rows in the tables to load.
func refuseInUse(ctx context.Context, dsn string, tables []string) error {
	conn, err := dbconn.Connect(ctx, dsn, dbconn.Setup)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var sessions int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
		AND pid <> pg_backend_pid() AND backend_type = 'client backend'
		AND coalesce(application_name, '') NOT LIKE '`+dbconn.Prefix+`%'`).Scan(&sessions); err != nil {
		return fmt.Errorf("check the database is not in use: %w", err)
	}
	if sessions > 0 {
		return fmt.Errorf("%d other sessions are connected, so it looks live; pass --force-nonempty if it is a throwaway copy", sessions)
	}
	var filled []string
	for _, name := range tables {
		var regclass *string
		if err := conn.QueryRow(ctx, "SELECT to_regclass($1)::text", pgx.Identifier(strings.Split(name, ".")).Sanitize()).Scan(&regclass); err != nil {
			return fmt.Errorf("look up table %s: %w", name, err)
		}
		if regclass == nil {
			return fmt.Errorf("table %s does not exist: rehearse datagen loads data into an existing schema; apply the scenario's schema first", name)
		}
		var has bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT FROM "+*regclass+")").Scan(&has); err != nil {
			return fmt.Errorf("check table %s: %w", name, err)
		}
		if has {
			filled = append(filled, name)
		}
	}
	if len(filled) > 0 {
		return fmt.Errorf("tables %s already have rows; pass --force-nonempty to add rows to them", strings.Join(filled, ", "))
	}
	return nil
}
