package main

import "os"

// libpqEnv are the variables libpq (and pgx) read when a connection string
// leaves a part out.
var libpqEnv = []string{"PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE"}

// dsnOrEnv is flag when given; else $DATABASE_URL; else, when any of
// libpq's PG* variables is set, "postgres://", which pgx completes from
// them (PGPASSWORD and ~/.pgpass included). Credentials can so stay out of
// the command line and the shell history. "" when none is set.
func dsnOrEnv(flag string) string {
	if flag != "" {
		return flag
	}
	if url := os.Getenv("DATABASE_URL"); url != "" {
		return url
	}
	for _, name := range libpqEnv {
		if os.Getenv(name) != "" {
			return "postgres://"
		}
	}
	return ""
}
