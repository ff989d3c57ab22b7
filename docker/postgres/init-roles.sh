#!/bin/sh
# Runs once, when the PostgreSQL volume is first initialised (docker-entrypoint-initdb.d): one role per
# tenant instead of the superuser for everything. `rollcall` owns the app's database, `temporal` owns
# Temporal's two; neither is a superuser or may create databases. The superuser (POSTGRES_USER) is left
# for administration. A volume made before this script existed keeps its single role: see the README.
set -eu
: "${ROLLCALL_DB_PASSWORD:?}" "${TEMPORAL_DB_PASSWORD:?}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v rollcall_password="$ROLLCALL_DB_PASSWORD" -v temporal_password="$TEMPORAL_DB_PASSWORD" <<'SQL'
CREATE ROLE rollcall LOGIN PASSWORD :'rollcall_password';
CREATE ROLE temporal LOGIN PASSWORD :'temporal_password';
CREATE DATABASE rollcall OWNER rollcall;
CREATE DATABASE temporal OWNER temporal;
CREATE DATABASE temporal_visibility OWNER temporal;
REVOKE ALL ON DATABASE rollcall FROM PUBLIC;
REVOKE ALL ON DATABASE temporal FROM PUBLIC;
REVOKE ALL ON DATABASE temporal_visibility FROM PUBLIC;
SQL
