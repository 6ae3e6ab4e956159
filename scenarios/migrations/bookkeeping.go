package migrations

// Bookkeeping returns the SQL that creates the table in which the tool of
// format f records the versions it applied, as the tool itself creates it
// before the first migration, or "" for formats without one (plain SQL
// files). Migrations that read or alter that table (golang-migrate
// projects adding a column to schema_migrations, say) then apply as they
// do in production. IF NOT EXISTS leaves a table the files create
// themselves alone.
func Bookkeeping(f Format) string {
	switch f {
	case GolangMigrate:
		return `CREATE TABLE IF NOT EXISTS schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)`
	case Goose:
		return `CREATE TABLE IF NOT EXISTS goose_db_version (id serial NOT NULL PRIMARY KEY, version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp NULL DEFAULT now())`
	case Flyway:
		return `CREATE TABLE IF NOT EXISTS flyway_schema_history (installed_rank integer NOT NULL PRIMARY KEY, version varchar(50), description varchar(200) NOT NULL, type varchar(20) NOT NULL, script varchar(1000) NOT NULL, checksum integer, installed_by varchar(100) NOT NULL, installed_on timestamp NOT NULL DEFAULT now(), execution_time integer NOT NULL, success boolean NOT NULL)`
	case Dbmate:
		return `CREATE TABLE IF NOT EXISTS schema_migrations (version varchar(128) PRIMARY KEY)`
	}
	return ""
}
