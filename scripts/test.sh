#!/usr/bin/env bash
# The whole test suite: starts a throwaway PostgreSQL 15 (installing it with apt when missing
# and running as root), loads the fixture schema, runs `cargo test` with the live tests pointed
# at it, and stops the server. Arguments go to `cargo test`.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here/.."

# shellcheck source=scripts/pg-temp.sh
source "$here/pg-temp.sh"
trap pg_temp_stop EXIT
pg_temp_start
"$PLANLINT_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -f "$here/fixtures-schema.sql" >/dev/null

export PLANLINT_TEST_DATABASE_URL="host=$PGHOST port=$PGPORT user=$PGUSER dbname=$PGDATABASE sslmode=disable"
# shellcheck disable=SC2086  # CARGO_TEST_FLAGS is a list of flags
cargo test ${CARGO_TEST_FLAGS:-} "$@"
