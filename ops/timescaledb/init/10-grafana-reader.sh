#!/usr/bin/env bash
# Runs once, when the TimescaleDB container initialises an empty data directory.
# Creates the read-only login Grafana uses; its privileges come from the tapewire_analyst
# group role, which the migrations (sql/0005_analyst_access.sql) grant SELECT to.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v reader_password="$GRAFANA_DB_PASSWORD" <<'SQL'
CREATE EXTENSION IF NOT EXISTS timescaledb;
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tapewire_analyst') THEN
        CREATE ROLE tapewire_analyst NOLOGIN;
    END IF;
END
$$;
SELECT format('CREATE ROLE grafana LOGIN PASSWORD %L IN ROLE tapewire_analyst', :'reader_password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'grafana') \gexec
ALTER ROLE grafana SET default_transaction_read_only = on;
SQL
