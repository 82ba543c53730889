#!/usr/bin/env bash
# Live mode's overhead: starts a throwaway PostgreSQL 15 (scripts/pg-temp.sh; as root it runs
# the server as an unprivileged user and installs postgresql-15 with apt when missing), loads
# the fixture schema, runs `cargo bench --bench live` against it and stops it. Arguments go to
# `cargo bench`.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here/.."

# shellcheck source=scripts/pg-temp.sh
source "$here/pg-temp.sh"

trap pg_temp_stop EXIT
pg_temp_start
"$PLANLINT_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -f "$here/fixtures-schema.sql" >/dev/null

export PLANLINT_BENCH_DATABASE_URL="host=$PGHOST port=$PGPORT user=$PGUSER dbname=$PGDATABASE sslmode=disable"
cargo bench --bench live "$@"
