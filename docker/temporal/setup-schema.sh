#!/bin/sh
# One-shot, before the Temporal server starts: creates Temporal's two databases on the shared
# PostgreSQL and applies the schema versions bundled with this admin-tools image.
# Runs on every `docker compose up`: existing databases are kept, setup-schema skips an
# already-versioned schema, and update-schema applies only the missing versions.
set -eu

: "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}" "${POSTGRES_PWD:?}"
DB_PORT="${DB_PORT:-5432}"
SCHEMA_ROOT=/etc/temporal/schema/postgresql/v12
# temporal-sql-tool reads the password from SQL_PASSWORD, which keeps it out of argv.
export SQL_PASSWORD="$POSTGRES_PWD"

sql() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" "$@"
}

for pair in "${DBNAME:-temporal}:temporal" "${VISIBILITY_DBNAME:-temporal_visibility}:visibility"; do
  db="${pair%%:*}"
  schema="${pair#*:}"
  echo "== $db =="
  # Not fatal (some tool versions refuse an existing database); a real connection problem fails update-schema below.
  sql --db "$db" create || echo "$db: create failed, continuing (it probably exists)"
  sql --db "$db" setup-schema -v 0.0
  sql --db "$db" update-schema -d "$SCHEMA_ROOT/$schema/versioned"
done
echo "Temporal schema is up to date."
