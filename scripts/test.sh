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

# TLS with a CA made here: the server's certificate is issued for "localhost" only, so the
# tests can check that a good CA connects and that a wrong CA or a wrong host name is refused.
tls=$PLANLINT_PG_DIR/tls
mkdir -p "$tls"
make_ca() { # NAME FILE_PREFIX
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" \
        -keyout "$tls/$2.key" -out "$tls/$2.pem" 2>/dev/null
}
make_ca "planlint test CA" ca
make_ca "some other CA" wrong-ca
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$tls/server.ext"
openssl x509 -req -days 2 -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" \
    -CAcreateserial -extfile "$tls/server.ext" -out "$tls/server.crt" 2>/dev/null
chmod 0600 "$tls/server.key"
chown --reference="$PLANLINT_PG_DIR" "$tls/server.key" "$tls/server.crt"
for setting in "ssl = on" "ssl_cert_file = '$tls/server.crt'" "ssl_key_file = '$tls/server.key'"; do
    "$PLANLINT_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -c "ALTER SYSTEM SET $setting" >/dev/null
done
"$PLANLINT_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -c "SELECT pg_reload_conf()" >/dev/null
export PLANLINT_TEST_TLS_DIR=$tls

export PLANLINT_TEST_DATABASE_URL="host=$PGHOST port=$PGPORT user=$PGUSER dbname=$PGDATABASE sslmode=disable"
# shellcheck disable=SC2086  # CARGO_TEST_FLAGS is a list of flags
cargo test ${CARGO_TEST_FLAGS:-} "$@"
