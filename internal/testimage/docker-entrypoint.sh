#!/bin/sh
# Entrypoint of the rehearse test image: the subset of the official postgres
# image's docker-entrypoint.sh that testcontainers' postgres module relies on.
#
# - POSTGRES_USER (default postgres), POSTGRES_PASSWORD (required unless
#   POSTGRES_HOST_AUTH_METHOD=trust) and POSTGRES_DB (default: the user) are
#   honoured on the first start, as are /docker-entrypoint-initdb.d/*.sql and
#   *.sh.
# - Like the official image, the first start initialises the cluster, runs a
#   temporary server (Unix socket only) for the init scripts, stops it and then
#   starts the real server: "database system is ready to accept connections" is
#   logged twice, which is what the module's BasicWaitStrategies wait for.
# - Arguments are passed to postgres: `postgres -c key=value ...`.
set -eu

if [ "${1#-}" != "$1" ]; then
	set -- postgres "$@"
fi
if [ "$1" != postgres ]; then
	exec "$@"
fi
shift

: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
: "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA

psql_init() {
	psql -v ON_ERROR_STOP=1 --no-password --no-psqlrc --username "$POSTGRES_USER" "$@"
}

init_cluster() {
	if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
		echo "error: database is uninitialized and POSTGRES_PASSWORD is not set" >&2
		echo "  set POSTGRES_PASSWORD, or POSTGRES_HOST_AUTH_METHOD=trust to allow connections without a password" >&2
		exit 1
	fi
	pwfile=$(mktemp)
	printf '%s\n' "${POSTGRES_PASSWORD:-}" >"$pwfile"
	# No locale files in this image: C locale, UTF8 encoding.
	initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust \
		--auth-host="$POSTGRES_HOST_AUTH_METHOD" --encoding=UTF8 --locale=C --no-sync
	rm -f "$pwfile"
	printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"
	printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"

	# The temporary server: only the Unix socket, so nothing outside the
	# container can connect before initialisation is complete. It gets the
	# same settings, so a bad one fails here with the server's message.
	postgres -c listen_addresses= -p 5432 "$@" &
	pid=$!
	until pg_isready -q -h /var/run/postgresql -p 5432; do
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "error: the temporary server exited during initialisation" >&2
			exit 1
		fi
		sleep 0.1
	done
	if [ "$POSTGRES_DB" != postgres ]; then
		echo 'CREATE DATABASE :"db";' | psql_init --dbname postgres --set db="$POSTGRES_DB"
	fi
	for f in /docker-entrypoint-initdb.d/*; do
		case "$f" in
		*.sh) echo "running $f"; . "$f" ;;
		*.sql) echo "running $f"; psql_init --dbname "$POSTGRES_DB" -f "$f" ;;
		*/\*) ;;
		*) echo "ignoring $f" ;;
		esac
	done
	pg_ctl -D "$PGDATA" -m fast -w stop
	wait "$pid" || true
	echo
	echo "PostgreSQL init process complete; ready for start up."
	echo
}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
	init_cluster "$@"
fi
exec postgres "$@"
