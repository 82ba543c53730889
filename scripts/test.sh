#!/usr/bin/env bash
# The whole test suite: starts a throwaway PostgreSQL 15 (installing it with apt when missing
# and running as root), loads the fixture schema, adds a hot standby streaming from it and a
# PgBouncer in transaction-pooling mode in front of it (installing pgbouncer with apt when
# missing and running as root), runs `cargo test` with the live tests pointed at them, and stops
# them all. It also starts PostgreSQL 12 and 18 (scripts/test-versions.sh: npm's embedded-postgres
# builds, cached under target/pg-versions) for tests/live_versions.rs. Arguments go to
# `cargo test`.
#
# For the tests: PLANLINT_TEST_DATABASE_URL (the primary, with pg_stat_statements preloaded when
# the server has it), PLANLINT_TEST_TLS_DIR, PLANLINT_TEST_V1_CERT_URL (a TLS-only server with a
# self-signed X.509 version 1 certificate, TLS_DIR/v1.crt, as Citus makes),
# PLANLINT_TEST_PG12_URL and PLANLINT_TEST_PG18_URL, PLANLINT_TEST_REPLICA_URL (the hot
# standby; its stderr log is PLANLINT_TEST_REPLICA_LOG),
# PLANLINT_TEST_PGBOUNCER_URL (PgBouncer; left unset outside CI when pgbouncer cannot be had,
# and its tests skip; with CI=true that is fatal), and a second, disposable server that one test
# stops mid-batch:
# PLANLINT_TEST_DISPOSABLE_URL, its data directory PLANLINT_TEST_DISPOSABLE_DATA_DIR,
# PLANLINT_TEST_PG_CTL (pg_ctl's path) and PLANLINT_TEST_DISPOSABLE_OS_USER (the OS user to run
# pg_ctl as; empty when not root). PLANLINT_TEST_SERVER_LOG is the primary's stderr log; a
# server with the logging collector writing every log_destination at once, auto_explain
# preloaded and the fixture schema's orders table, is PLANLINT_TEST_COLLECTOR_URL, with its
# three logs PLANLINT_TEST_COLLECTOR_LOG (stderr), PLANLINT_TEST_COLLECTOR_CSVLOG and
# PLANLINT_TEST_COLLECTOR_JSONLOG (for tests/live_logs.rs).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here/.."

# shellcheck source=scripts/pg-temp.sh
source "$here/pg-temp.sh"
# shellcheck source=scripts/test-versions.sh
source "$here/test-versions.sh"

log() { printf 'test.sh: %s\n' "$*" >&2; }
fatal() {
    if [[ ${CI:-} == true ]]; then log "FATAL (CI=true): $*"; else log "error: $*"; fi
    exit 1
}

# Stops a process by pid with SIGNAL, waits up to ~10 s, then sends SIGKILL. Never fails.
stop_pid() { # PID SIGNAL
    local pid=$1 i
    [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill "-$2" "$pid" 2>/dev/null || true
    for (( i = 0; i < 100; i++ )); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    log "pid $pid ignored SIG$2; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
}

replica_dir="" replica_pid="" replica_wrapper=""
replica_stop() {
    if [[ -z $replica_pid && -n $replica_dir && -f $replica_dir/postmaster.pid ]]; then
        replica_pid=$(head -n 1 "$replica_dir/postmaster.pid" 2>/dev/null || true)
    fi
    stop_pid "$replica_pid" INT   # SIGINT: PostgreSQL's fast shutdown
    if [[ -n $replica_wrapper ]]; then wait "$replica_wrapper" 2>/dev/null || true; fi
    if [[ -n $replica_dir && -d $replica_dir ]]; then rm -rf -- "$replica_dir" 2>/dev/null || true; fi
    replica_dir="" replica_pid="" replica_wrapper=""
}

# The disposable server: the test may already have stopped it, which is fine.
disposable_dir="" disposable_pid="" disposable_wrapper=""
disposable_stop() {
    if [[ -z $disposable_pid && -n $disposable_dir && -f $disposable_dir/data/postmaster.pid ]]; then
        disposable_pid=$(head -n 1 "$disposable_dir/data/postmaster.pid" 2>/dev/null || true)
    fi
    stop_pid "$disposable_pid" INT   # SIGINT: PostgreSQL's fast shutdown
    if [[ -n $disposable_wrapper ]]; then wait "$disposable_wrapper" 2>/dev/null || true; fi
    if [[ -n $disposable_dir && -d $disposable_dir && $disposable_dir == */planlint-pg-disposable.* ]]; then
        rm -rf -- "$disposable_dir" 2>/dev/null || true
    fi
    disposable_dir="" disposable_pid="" disposable_wrapper=""
}

# The server with a version 1 certificate lives in the primary's temp dir, removed with it.
v1_dir="" v1_pid="" v1_wrapper=""
v1_stop() {
    if [[ -z $v1_pid && -n $v1_dir && -f $v1_dir/data/postmaster.pid ]]; then
        v1_pid=$(head -n 1 "$v1_dir/data/postmaster.pid" 2>/dev/null || true)
    fi
    stop_pid "$v1_pid" INT   # SIGINT: PostgreSQL's fast shutdown
    if [[ -n $v1_wrapper ]]; then wait "$v1_wrapper" 2>/dev/null || true; fi
    v1_dir="" v1_pid="" v1_wrapper=""
}

pgbouncer_dir="" pgbouncer_pid="" pgbouncer_wrapper=""
pgbouncer_stop() {
    if [[ -z $pgbouncer_pid && -n $pgbouncer_dir && -f $pgbouncer_dir/pgbouncer.pid ]]; then
        pgbouncer_pid=$(head -n 1 "$pgbouncer_dir/pgbouncer.pid" 2>/dev/null || true)
    fi
    stop_pid "$pgbouncer_pid" TERM   # SIGTERM: immediate shutdown (SIGINT waits for clients)
    if [[ -n $pgbouncer_wrapper ]]; then wait "$pgbouncer_wrapper" 2>/dev/null || true; fi
    if [[ -n $pgbouncer_dir && -d $pgbouncer_dir ]]; then rm -rf -- "$pgbouncer_dir" 2>/dev/null || true; fi
    pgbouncer_dir="" pgbouncer_pid="" pgbouncer_wrapper=""
}

# The server with the logging collector lives in the primary's temp dir too.
collector_dir="" collector_pid="" collector_wrapper=""
collector_stop() {
    if [[ -z $collector_pid && -n $collector_dir && -f $collector_dir/data/postmaster.pid ]]; then
        collector_pid=$(head -n 1 "$collector_dir/data/postmaster.pid" 2>/dev/null || true)
    fi
    stop_pid "$collector_pid" INT   # SIGINT: PostgreSQL's fast shutdown
    if [[ -n $collector_wrapper ]]; then wait "$collector_wrapper" 2>/dev/null || true; fi
    collector_dir="" collector_pid="" collector_wrapper=""
}

# PgBouncer and the standby first: both lean on the primary, and live in its temp dir.
cleanup() {
    test_versions_stop
    collector_stop
    v1_stop
    disposable_stop
    pgbouncer_stop
    replica_stop
    pg_temp_stop
}
trap cleanup EXIT
# pg_stat_statements, so tests can see from the server's side what planlint sent; left out when
# this PostgreSQL lacks it (a server that cannot load it would not start), and the test that
# needs it then skips, or fails under CI. The caller's own PLANLINT_PG_EXTRA_OPTS come last and win.
pg_bin=$(_pg_temp_find_bin) || pg_bin=""   # none yet: pg_temp_start installs postgresql-15, which has it
# auto_explain too (the same contrib package), so tests/live_logs.rs can log plans and read the
# server's log (PLANLINT_TEST_SERVER_LOG, below) back.
if [[ -z $pg_bin || -f $("$pg_bin/pg_config" --pkglibdir 2>/dev/null)/pg_stat_statements.so ]]; then
    export PLANLINT_PG_EXTRA_OPTS="-c shared_preload_libraries=pg_stat_statements,auto_explain ${PLANLINT_PG_EXTRA_OPTS:-}"
else
    log "warning: no pg_stat_statements in $pg_bin; the test that counts what planlint sends will skip"
fi
pg_temp_start
psql() { "$PLANLINT_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
psql -f "$here/fixtures-schema.sql" >/dev/null

# HypoPG, so `check --verify` can try suggested indexes as hypothetical ones.
hypopg_control="$("$PLANLINT_PG_BIN/pg_config" --sharedir)/extension/hypopg.control"
if [[ ! -f $hypopg_control && $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    log "HypoPG not found; installing postgresql-15-hypopg with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15-hypopg >&2 \
        || { DEBIAN_FRONTEND=noninteractive apt-get update >&2 \
            && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15-hypopg >&2; } \
        || true
fi
if [[ -f $hypopg_control ]]; then
    psql -c "CREATE EXTENSION hypopg" >/dev/null
    export PLANLINT_TEST_HYPOPG=1
else
    [[ ${CI:-} == true ]] && fatal "HypoPG (postgresql-15-hypopg) is required in CI and could not be had"
    log "warning: no HypoPG (install postgresql-15-hypopg); the index verification tests will skip"
fi

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
    psql -c "ALTER SYSTEM SET $setting" >/dev/null
done
export PLANLINT_TEST_TLS_DIR=$tls

# One role that must log in with a password (scram), for the authentication tests; every other
# role keeps the trust authentication of the throwaway server.
psql -c "CREATE ROLE planlint_password LOGIN PASSWORD 'planlint-test-password'" >/dev/null
hba=$PLANLINT_PG_DIR/data/pg_hba.conf
{ echo "host all planlint_password 127.0.0.1/32 scram-sha-256"; cat "$hba"; } >"$hba.new"
chown --reference="$hba" "$hba.new"
mv "$hba.new" "$hba"
psql -c "SELECT pg_reload_conf()" >/dev/null

# --- Hot standby -------------------------------------------------------------------------------
# A streaming replica made with pg_basebackup -R, as the server's own OS user (initdb's trust
# pg_hba.conf already allows replication from 127.0.0.1; wal_level=replica and max_wal_senders=10
# are the defaults). It runs with the primary's command-line settings: a hot standby refuses to
# start with a smaller max_connections or max_locks_per_transaction than its primary's.
replica_dir=$PLANLINT_PG_DIR/replica
_pg_temp_as "$PLANLINT_PG_BIN/pg_basebackup" -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -D "$replica_dir" \
    -R -X stream --checkpoint=fast --no-sync >"$PLANLINT_PG_DIR/basebackup.log" 2>&1 \
    || { cat "$PLANLINT_PG_DIR/basebackup.log" >&2; fatal "pg_basebackup of the primary failed"; }
primary_lsn=$(psql -At -c "SELECT pg_current_wal_lsn()")
replica_opts=()
while IFS='|' read -r name value; do
    case $name in listen_addresses | port | unix_socket_directories) continue ;; esac
    replica_opts+=(-c "$name=$value")
done < <(psql -At -c "SELECT name, setting FROM pg_settings WHERE source = 'command line'")
replica_port=$(_pg_temp_free_port) || fatal "no free port for the hot standby"
(cd "$replica_dir" && exec </dev/null && _pg_temp_as "$PLANLINT_PG_BIN/postgres" -D "$replica_dir" \
    "${replica_opts[@]}" -c hot_standby=on -c listen_addresses=127.0.0.1 -c port="$replica_port" \
    -c unix_socket_directories="$replica_dir" >>"$PLANLINT_PG_DIR/replica.log" 2>&1) &
replica_wrapper=$!
replica_ready=""
for (( i = 0; i < 300; i++ )); do   # up to ~30 s: accepting connections and caught up
    if "$PLANLINT_PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$replica_port" -U "$PGUSER" -d postgres \
        && [[ $(psql -At -h 127.0.0.1 -p "$replica_port" \
            -c "SELECT pg_is_in_recovery() AND pg_last_wal_replay_lsn() >= '$primary_lsn'" 2>/dev/null) == t ]]; then
        replica_ready=1; break
    fi
    kill -0 "$replica_wrapper" 2>/dev/null || break   # the standby died
    sleep 0.1
done
if [[ -z $replica_ready ]]; then
    tail -n 20 "$PLANLINT_PG_DIR/replica.log" >&2 || true
    fatal "the hot standby did not start or did not catch up with the primary (log above)"
fi
replica_pid=$(head -n 1 "$replica_dir/postmaster.pid")
log "hot standby ready on 127.0.0.1:$replica_port (pid $replica_pid), replayed past $primary_lsn"
export PLANLINT_TEST_REPLICA_URL="host=127.0.0.1 port=$replica_port user=$PGUSER dbname=$PGDATABASE sslmode=disable"
export PLANLINT_TEST_REPLICA_LOG=$PLANLINT_PG_DIR/replica.log

# --- PgBouncer, transaction pooling ------------------------------------------------------------
find_pgbouncer() {
    local bin
    for bin in "${PLANLINT_PGBOUNCER_BIN:-}" "$(command -v pgbouncer 2>/dev/null || true)" /usr/sbin/pgbouncer; do
        [[ -n $bin && -x $bin ]] && { printf '%s\n' "$bin"; return 0; }
    done
    return 1
}
pgbouncer_bin=$(find_pgbouncer) || pgbouncer_bin=""
if [[ -z $pgbouncer_bin && $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    log "pgbouncer not found; installing it with apt-get"
    if DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends pgbouncer >&2 \
        || { DEBIAN_FRONTEND=noninteractive apt-get update >&2 \
            && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends pgbouncer >&2; }; then
        pgbouncer_bin=$(find_pgbouncer) || pgbouncer_bin=""
    fi
fi
if [[ -z $pgbouncer_bin ]]; then
    [[ ${CI:-} == true ]] && fatal "pgbouncer is required in CI and could not be had; refusing to skip"
    log "warning: no pgbouncer (install the pgbouncer package); the PgBouncer tests will skip"
else
    pgbouncer_dir=$PLANLINT_PG_DIR/pgbouncer
    mkdir -p "$pgbouncer_dir"
    pgbouncer_port=$(_pg_temp_free_port) || fatal "no free port for pgbouncer"
    # trust still wants the user in auth_file; as an admin user it may also read the admin
    # console (database pgbouncer: SHOW DATABASES, ...). The pool stays well under the primary's
    # max_connections=20, which the other live tests share.
    printf '"%s" ""\n' "$PGUSER" >"$pgbouncer_dir/userlist.txt"
    printf '%s\n' \
        "[databases]" \
        "postgres = host=127.0.0.1 port=$PGPORT dbname=postgres" \
        "" \
        "[pgbouncer]" \
        "listen_addr = 127.0.0.1" \
        "listen_port = $pgbouncer_port" \
        "unix_socket_dir =" \
        "auth_type = trust" \
        "auth_file = $pgbouncer_dir/userlist.txt" \
        "pool_mode = transaction" \
        "admin_users = $PGUSER" \
        "default_pool_size = 4" \
        "max_client_conn = 100" \
        "server_tls_sslmode = disable" \
        "ignore_startup_parameters = extra_float_digits,options" \
        "logfile = $pgbouncer_dir/pgbouncer.log" \
        "pidfile = $pgbouncer_dir/pgbouncer.pid" \
        >"$pgbouncer_dir/pgbouncer.ini"
    chown -R --reference="$PLANLINT_PG_DIR" "$pgbouncer_dir"
    # In the foreground of a background job, as the server's user: PgBouncer refuses to run as root.
    (cd "$pgbouncer_dir" && exec </dev/null && _pg_temp_as "$pgbouncer_bin" "$pgbouncer_dir/pgbouncer.ini" \
        >>"$pgbouncer_dir/stderr.log" 2>&1) &
    pgbouncer_wrapper=$!
    pgbouncer_ready=""
    for (( i = 0; i < 100; i++ )); do   # up to ~10 s
        if [[ -s $pgbouncer_dir/pgbouncer.pid ]] \
            && PGCONNECT_TIMEOUT=2 psql -At -h 127.0.0.1 -p "$pgbouncer_port" -c "SELECT 1" >/dev/null 2>&1; then
            pgbouncer_ready=1; break
        fi
        kill -0 "$pgbouncer_wrapper" 2>/dev/null || break   # pgbouncer died
        sleep 0.1
    done
    if [[ -z $pgbouncer_ready ]]; then
        tail -n 20 "$pgbouncer_dir/stderr.log" "$pgbouncer_dir/pgbouncer.log" >&2 || true
        fatal "pgbouncer did not start (log above)"
    fi
    pgbouncer_pid=$(head -n 1 "$pgbouncer_dir/pgbouncer.pid")
    log "$("$pgbouncer_bin" --version | head -n 1) ready on 127.0.0.1:$pgbouncer_port" \
        "(pid $pgbouncer_pid, pool_mode=transaction)"
    export PLANLINT_TEST_PGBOUNCER_URL="host=127.0.0.1 port=$pgbouncer_port user=$PGUSER dbname=postgres sslmode=disable"
fi

# --- A disposable server, to be stopped mid-batch -----------------------------------------------
# tests/live_server_stop.rs stops a server while planlint waits on it; the shared one above must
# survive, so this is a cluster of its own: own temp dir, free port, 127.0.0.1 only, the same
# unprivileged OS user, small (nothing else connects to it).
disposable_dir=$(mktemp -d "${TMPDIR:-/tmp}/planlint-pg-disposable.XXXXXX") || fatal "mktemp failed"
chown --reference="$PLANLINT_PG_DIR" "$disposable_dir"
chmod 700 "$disposable_dir"
_pg_temp_initdb "$PLANLINT_PG_BIN" "$disposable_dir" "$PGUSER" \
    || { cat "$disposable_dir/initdb.log" >&2; fatal "initdb of the disposable server failed"; }
disposable_port=$(_pg_temp_free_port) || fatal "no free port for the disposable server"
_pg_temp_launch "$PLANLINT_PG_BIN" "$disposable_dir" "$disposable_port" \
    -c max_connections=10 -c shared_buffers=16MB
disposable_wrapper=$_PG_TEMP_LAUNCHED
if ! _pg_temp_wait_ready "$PLANLINT_PG_BIN" "$disposable_port" "$PGUSER" "$disposable_wrapper"; then
    tail -n 20 "$disposable_dir/postgres.log" >&2 || true
    fatal "the disposable server did not start (log above)"
fi
disposable_pid=$(head -n 1 "$disposable_dir/data/postmaster.pid")
log "disposable server ready on 127.0.0.1:$disposable_port (pid $disposable_pid, dir $disposable_dir)"
export PLANLINT_TEST_DISPOSABLE_URL="host=127.0.0.1 port=$disposable_port user=$PGUSER dbname=postgres sslmode=disable"
export PLANLINT_TEST_DISPOSABLE_DATA_DIR=$disposable_dir/data
export PLANLINT_TEST_PG_CTL=$PLANLINT_PG_BIN/pg_ctl
export PLANLINT_TEST_DISPOSABLE_OS_USER=${_PG_TEMP_RUNAS:-}

# --- A server with a self-signed X.509 version 1 certificate, as Citus makes ---------------------
# TLS only (plain connections are rejected), so a test that connects proves that TLS was used; one
# role logs in with a password over SCRAM, so channel binding runs on such a certificate too.
v1_dir=$PLANLINT_PG_DIR/v1cert
mkdir -p "$v1_dir"
chown --reference="$PLANLINT_PG_DIR" "$v1_dir"
chmod 700 "$v1_dir"
_pg_temp_initdb "$PLANLINT_PG_BIN" "$v1_dir" "$PGUSER" \
    || { cat "$v1_dir/initdb.log" >&2; fatal "initdb of the version 1 certificate server failed"; }
openssl req -new -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$tls/v1.key" -out "$tls/v1.csr" 2>/dev/null
openssl x509 -req -days 2 -in "$tls/v1.csr" -signkey "$tls/v1.key" -out "$tls/v1.crt" 2>/dev/null
openssl x509 -in "$tls/v1.crt" -noout -text | grep -q 'Version: 1 ' \
    || fatal "openssl did not make a version 1 certificate"
chmod 0600 "$tls/v1.key"
chown --reference="$PLANLINT_PG_DIR" "$tls/v1.key" "$tls/v1.crt"
printf '%s\n' "local all all trust" \
    "hostssl all planlint_password 127.0.0.1/32 scram-sha-256" \
    "hostssl all all 127.0.0.1/32 trust" \
    "hostnossl all all 127.0.0.1/32 reject" >"$v1_dir/data/pg_hba.conf"
chown --reference="$PLANLINT_PG_DIR" "$v1_dir/data/pg_hba.conf"
v1_port=$(_pg_temp_free_port) || fatal "no free port for the version 1 certificate server"
_pg_temp_launch "$PLANLINT_PG_BIN" "$v1_dir" "$v1_port" -c max_connections=10 \
    -c shared_buffers=16MB -c ssl=on -c ssl_cert_file="$tls/v1.crt" -c ssl_key_file="$tls/v1.key"
v1_wrapper=$_PG_TEMP_LAUNCHED
if ! _pg_temp_wait_ready "$PLANLINT_PG_BIN" "$v1_port" "$PGUSER" "$v1_wrapper"; then
    tail -n 20 "$v1_dir/postgres.log" >&2 || true
    fatal "the version 1 certificate server did not start (log above)"
fi
v1_pid=$(head -n 1 "$v1_dir/data/postmaster.pid")
psql -h "$v1_dir" -p "$v1_port" \
    -c "CREATE ROLE planlint_password LOGIN PASSWORD 'planlint-test-password'" >/dev/null
log "server with a version 1 certificate ready on 127.0.0.1:$v1_port (pid $v1_pid)"
export PLANLINT_TEST_V1_CERT_URL="host=127.0.0.1 port=$v1_port user=$PGUSER dbname=postgres"

# --- A server with the logging collector: stderr, csvlog and jsonlog at once -------------------
# tests/live_logs.rs runs one workload with auto_explain and reads it back from each of the
# three files the collector writes, which the primary (logging_collector=off, its stderr in
# postgres.log) cannot give. Small and fed by that test alone; it gets only the table the
# workload scans, the fixture schema's partitioned orders, copied from the primary with
# pg_dump (~1.6 s, where loading the whole fixture schema takes ~5.4 s).
collector_dir=$PLANLINT_PG_DIR/collector
mkdir -p "$collector_dir"
chown --reference="$PLANLINT_PG_DIR" "$collector_dir"
chmod 700 "$collector_dir"
_pg_temp_initdb "$PLANLINT_PG_BIN" "$collector_dir" "$PGUSER" \
    || { cat "$collector_dir/initdb.log" >&2; fatal "initdb of the logging collector server failed"; }
collector_port=$(_pg_temp_free_port) || fatal "no free port for the logging collector server"
# A fixed file name without rotation: one file per destination for the whole run, the csvlog
# and jsonlog named as the stderr one with .csv and .json.
_pg_temp_launch "$PLANLINT_PG_BIN" "$collector_dir" "$collector_port" -c max_connections=10 \
    -c shared_buffers=16MB -c shared_preload_libraries=auto_explain -c logging_collector=on \
    -c log_destination=stderr,csvlog,jsonlog -c log_directory="$collector_dir/log" \
    -c log_filename=postgresql.log -c log_rotation_age=0 -c log_rotation_size=0
collector_wrapper=$_PG_TEMP_LAUNCHED
if ! _pg_temp_wait_ready "$PLANLINT_PG_BIN" "$collector_port" "$PGUSER" "$collector_wrapper"; then
    tail -n 20 "$collector_dir/postgres.log" "$collector_dir/log/postgresql.log" >&2 || true
    fatal "the logging collector server did not start (log above)"
fi
collector_pid=$(head -n 1 "$collector_dir/data/postmaster.pid")
for extension in log csv json; do
    [[ -f $collector_dir/log/postgresql.$extension ]] \
        || fatal "the logging collector wrote no $collector_dir/log/postgresql.$extension"
done
"$PLANLINT_PG_BIN/pg_dump" --no-owner --no-privileges --table=orders --table='orders_p*' \
    | psql -h 127.0.0.1 -p "$collector_port" >/dev/null \
    && psql -h 127.0.0.1 -p "$collector_port" -c "ANALYZE orders" >/dev/null \
    || fatal "copying orders from the primary into the logging collector server failed"
log "logging collector server ready on 127.0.0.1:$collector_port (pid $collector_pid," \
    "logs $collector_dir/log/postgresql.{log,csv,json})"
export PLANLINT_TEST_COLLECTOR_URL="host=127.0.0.1 port=$collector_port user=$PGUSER dbname=postgres sslmode=disable"
export PLANLINT_TEST_COLLECTOR_LOG=$collector_dir/log/postgresql.log
export PLANLINT_TEST_COLLECTOR_CSVLOG=$collector_dir/log/postgresql.csv
export PLANLINT_TEST_COLLECTOR_JSONLOG=$collector_dir/log/postgresql.json

# --- PostgreSQL 12 and 18, for tests/live_versions.rs ----------------------------------------
if ! test_versions_start; then
    [[ ${CI:-} == true ]] && fatal "PostgreSQL 12 and 18 (scripts/test-versions.sh) are required in CI"
    log "warning: no PostgreSQL 12 and 18 (scripts/test-versions.sh needs npm); tests/live_versions.rs will skip"
fi

export PLANLINT_TEST_DATABASE_URL="host=$PGHOST port=$PGPORT user=$PGUSER dbname=$PGDATABASE sslmode=disable"
# The test server's stderr log (pg-temp.sh writes it there; default log_line_prefix '%m [%p] ').
export PLANLINT_TEST_SERVER_LOG="$PLANLINT_PG_DIR/postgres.log"
# shellcheck disable=SC2086  # CARGO_TEST_FLAGS is a list of flags
cargo test ${CARGO_TEST_FLAGS:-} "$@"
