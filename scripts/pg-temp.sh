# shellcheck shell=bash
#
# pg-temp.sh — a throwaway PostgreSQL server (15, or another version's with
# PLANLINT_PG_SERVER_BIN) for planlint's fixture capture, CI and live tests. Source it, do not
# execute it:
#
#     source scripts/pg-temp.sh
#     trap pg_temp_stop EXIT
#     pg_temp_start
#     psql -X -c 'select 1'          # PGHOST/PGPORT/PGUSER/PGDATABASE are exported
#
# pg_temp_start
#   Finds the PostgreSQL 15 binaries ($PLANLINT_PG_BIN, else /usr/lib/postgresql/15/bin, else a
#   `pg_config` on PATH that reports 15.x). If none is found and we are root, installs the Debian
#   package `postgresql-15` with apt-get.
#   Another major version: PLANLINT_PG_SERVER_BIN=DIR runs the initdb and postgres of DIR instead
#   (any version from 12 on, e.g. a bin folder scripts/pg-versions.sh installed); its client
#   programs (psql, pg_isready) come from DIR when it has them, else from PostgreSQL 15 as above
#   (the embedded builds of scripts/pg-versions.sh ship no client). With CI=true, failing to get a server is a loud error
#   (returns 1 with a FATAL message on stderr); otherwise it returns 1 with a hint.
#   The server refuses to run as root: as root, the cluster lives in a fresh temp dir owned by an
#   unprivileged user (`postgres` if it exists, else a system user `planlint`, created on demand)
#   and initdb/postgres run through `runuser -u USER --`. Not root: everything runs as the
#   current user.
#   The server listens on 127.0.0.1 only (plus a unix socket inside the temp dir) on a free port,
#   with trust authentication and settings tuned for speed, not durability (fsync=off, ...),
#   plus timezone=UTC and autovacuum=off so that plans and statistics are reproducible (run
#   ANALYZE yourself after loading data). The lock table is sized for plans over thousands of
#   partitions (the 4,000-partition events fixtures lock every partition in one transaction):
#   max_locks_per_transaction=8192 with max_connections=20, which keeps the shared lock table
#   at ~8192 x 42 backends (~270 MB of shared memory in all, instead of ~510 MB with the default
#   100 connections).
#   Exports:
#     PGHOST=127.0.0.1 PGPORT=<port> PGUSER=<superuser> PGDATABASE=postgres
#     PLANLINT_PG_PID   pid of the postmaster
#     PLANLINT_PG_DIR   the temp dir (data dir is $PLANLINT_PG_DIR/data, log in postgres.log)
#     PLANLINT_PG_BIN   directory of the server binaries (psql, pg_isready, ... live there too);
#                       with PLANLINT_PG_SERVER_BIN, the directory of the client programs
#     PLANLINT_PG_MAJOR the server's major version (12, 13, ...)
#     PLANLINT_PG_SOCKET_DIR  directory of the unix socket (= PLANLINT_PG_DIR)
#   Extra server settings: PLANLINT_PG_EXTRA_OPTS="-c name=value ..." (word-split; they come
#   last, so they override the settings above, e.g. "-c max_connections=100").
#
# pg_temp_stop
#   Stops the server by its pid (SIGINT = fast shutdown, wait, SIGKILL after a timeout) and
#   removes the temp dir. Idempotent, never fails: fit for `trap pg_temp_stop EXIT`.
#
# pg_temp_start returns 1 on failure (after cleaning up) rather than exiting; with CI=true its
# message says the failure is fatal. Callers under `set -e` then stop; others may skip.

_pg_temp_log() { printf 'pg-temp: %s\n' "$*" >&2; }

_pg_temp_is_pg15() {
    # $1: a bin dir; true if it holds a PostgreSQL 15 server and client.
    local bin=$1 v
    [[ -x "$bin/postgres" && -x "$bin/initdb" && -x "$bin/psql" && -x "$bin/pg_isready" ]] || return 1
    v=$("$bin/postgres" --version 2>/dev/null) || return 1
    [[ $v =~ \(PostgreSQL\)\ 15\. ]]
}

_pg_temp_find_bin() {
    local cand
    for cand in "${PLANLINT_PG_BIN:-}" /usr/lib/postgresql/15/bin /usr/pgsql-15/bin \
        /usr/local/pgsql/bin /opt/homebrew/opt/postgresql@15/bin /usr/local/opt/postgresql@15/bin; do
        [[ -n $cand ]] && _pg_temp_is_pg15 "$cand" && { printf '%s\n' "$cand"; return 0; }
    done
    if command -v pg_config >/dev/null 2>&1; then
        cand=$(pg_config --bindir 2>/dev/null || true)
        [[ -n $cand ]] && _pg_temp_is_pg15 "$cand" && { printf '%s\n' "$cand"; return 0; }
    fi
    return 1
}

# The major version of the server in a bin dir (12, 13, ...).
_pg_temp_major() { # BIN
    local v
    v=$("$1/postgres" --version 2>/dev/null) || return 1
    [[ $v =~ \(PostgreSQL\)\ ([0-9]+) ]] || return 1
    printf '%s\n' "${BASH_REMATCH[1]}"
}

# The directory of psql and pg_isready for a server in BIN: BIN itself when it has them, else
# PostgreSQL 15's (any supported server accepts psql 15 for what these scripts do).
_pg_temp_client_bin() { # BIN
    if [[ -x $1/psql && -x $1/pg_isready ]]; then
        printf '%s\n' "$1"
    else
        _pg_temp_find_bin
    fi
}

_pg_temp_fail() {
    # A clear message; with CI=true, say loudly that this is fatal.
    if [[ ${CI:-} == true ]]; then
        _pg_temp_log "FATAL (CI=true): $*"
        _pg_temp_log "FATAL (CI=true): a PostgreSQL server is required in CI; refusing to skip."
    else
        _pg_temp_log "error: $*"
    fi
    return 0   # callers `return 1` themselves (returning 1 here would trip set -e mid-cleanup)
}

_pg_temp_free_port() {
    # Ask the kernel for a free port; fall back to probing a range.
    local port
    if command -v python3 >/dev/null 2>&1; then
        port=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null) \
            && [[ $port =~ ^[0-9]+$ ]] && { printf '%s\n' "$port"; return 0; }
    fi
    local start=$(( 20000 + RANDOM % 30000 )) i
    for (( i = 0; i < 200; i++ )); do
        port=$(( start + i ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            printf '%s\n' "$port"; return 0
        fi
    done
    return 1
}

_pg_temp_as() {
    # Run a command as the server's OS user.
    if [[ -n ${_PG_TEMP_RUNAS:-} ]]; then
        runuser -u "$_PG_TEMP_RUNAS" -- "$@"
    else
        "$@"
    fi
}

# Picks the OS user the server runs as: as root, an unprivileged one (`postgres` if it exists,
# else a system user `planlint`, created on demand), run through runuser (_PG_TEMP_RUNAS); else
# the current user (_PG_TEMP_RUNAS empty). Sets _PG_TEMP_SUPERUSER, the database superuser
# initdb makes (the same name).
_pg_temp_os_user() {
    _PG_TEMP_RUNAS=
    if [[ $(id -u) -eq 0 ]]; then
        if id -u postgres >/dev/null 2>&1; then
            _PG_TEMP_RUNAS=postgres
        else
            if ! id -u planlint >/dev/null 2>&1; then
                _pg_temp_log "creating system user planlint to run the server"
                useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin planlint \
                    || { _pg_temp_fail "could not create system user planlint"; return 1; }
            fi
            _PG_TEMP_RUNAS=planlint
        fi
        command -v runuser >/dev/null 2>&1 || { _pg_temp_fail "runuser not found"; return 1; }
        _PG_TEMP_SUPERUSER=$_PG_TEMP_RUNAS
    else
        _PG_TEMP_SUPERUSER=$(id -un)
    fi
}

pg_temp_start() {
    if [[ -n ${PLANLINT_PG_PID:-} ]] && kill -0 "$PLANLINT_PG_PID" 2>/dev/null; then
        _pg_temp_log "a server is already running (pid $PLANLINT_PG_PID); call pg_temp_stop first"
        return 1
    fi

    local bin client
    if [[ -n ${PLANLINT_PG_SERVER_BIN:-} ]]; then
        bin=$PLANLINT_PG_SERVER_BIN
        [[ -x $bin/initdb && -x $bin/postgres ]] \
            || { _pg_temp_fail "PLANLINT_PG_SERVER_BIN=$bin holds no initdb and postgres"; return 1; }
        client=$(_pg_temp_client_bin "$bin") || {
            _pg_temp_fail "no psql and pg_isready for the server in $bin (install postgresql-client-15)"
            return 1
        }
    elif ! bin=$(_pg_temp_find_bin); then
        if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
            _pg_temp_log "PostgreSQL 15 not found; installing postgresql-15 with apt-get"
            if ! { DEBIAN_FRONTEND=noninteractive apt-get update >&2 \
                && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql-15 >&2; }; then
                _pg_temp_fail "apt-get install postgresql-15 failed"
                return 1
            fi
            bin=$(_pg_temp_find_bin) || {
                _pg_temp_fail "postgresql-15 installed but no PostgreSQL 15 binaries found"
                return 1
            }
        else
            _pg_temp_fail "no PostgreSQL 15 server found (looked in \$PLANLINT_PG_BIN," \
                "/usr/lib/postgresql/15/bin, pg_config). Install postgresql-15 or set PLANLINT_PG_BIN."
            return 1
        fi
    fi
    client=${client:-$bin}
    local major
    major=$(_pg_temp_major "$bin") || { _pg_temp_fail "$bin/postgres --version failed"; return 1; }

    _pg_temp_os_user || return 1
    local superuser=$_PG_TEMP_SUPERUSER

    local dir
    dir=$(mktemp -d "${TMPDIR:-/tmp}/planlint-pg.XXXXXX") || { _pg_temp_fail "mktemp failed"; return 1; }
    if [[ -n $_PG_TEMP_RUNAS ]]; then
        chown "$_PG_TEMP_RUNAS:" "$dir" || { rm -rf "$dir"; _pg_temp_fail "chown $dir failed"; return 1; }
    fi
    chmod 700 "$dir"
    # Exported early so that pg_temp_stop cleans up whatever happens below.
    export PLANLINT_PG_DIR=$dir PLANLINT_PG_BIN=$client PLANLINT_PG_SOCKET_DIR=$dir \
        PLANLINT_PG_MAJOR=$major

    if ! _pg_temp_initdb "$bin" "$dir" "$superuser"; then
        cat "$dir/initdb.log" >&2 || true
        _pg_temp_fail "initdb failed"
        pg_temp_stop || true
        return 1
    fi

    local port attempt pid="" ready=""
    for attempt in 1 2 3; do
        port=$(_pg_temp_free_port) || { _pg_temp_fail "no free port found"; pg_temp_stop || true; return 1; }
        # shellcheck disable=SC2086  # PLANLINT_PG_EXTRA_OPTS is word-split on purpose
        _pg_temp_launch "$bin" "$dir" "$port" -c shared_buffers=128MB \
            -c max_locks_per_transaction=8192 -c max_connections=20 ${PLANLINT_PG_EXTRA_OPTS:-}
        _PG_TEMP_WRAPPER_PID=$_PG_TEMP_LAUNCHED
        if _pg_temp_wait_ready "$client" "$port" "$superuser" "$_PG_TEMP_WRAPPER_PID"; then
            ready=1; break
        fi
        _pg_temp_log "server did not start on port $port (attempt $attempt); log:"
        tail -n 20 "$dir/postgres.log" >&2 || true
        if [[ -f $dir/data/postmaster.pid ]]; then
            pid=$(head -n 1 "$dir/data/postmaster.pid")
            [[ $pid =~ ^[0-9]+$ ]] && kill -KILL "$pid" 2>/dev/null || true
        fi
        kill "$_PG_TEMP_WRAPPER_PID" 2>/dev/null || true
        wait "$_PG_TEMP_WRAPPER_PID" 2>/dev/null || true
        rm -f "$dir/data/postmaster.pid"
    done
    if [[ -z $ready ]]; then
        _pg_temp_fail "PostgreSQL did not become ready (see above)"
        pg_temp_stop || true
        return 1
    fi

    # The postmaster's own pid (runuser forks, so $! would be the wrapper's).
    pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)
    if ! [[ $pid =~ ^[0-9]+$ ]]; then
        _pg_temp_fail "cannot read the postmaster pid from $dir/data/postmaster.pid"
        pg_temp_stop || true
        return 1
    fi
    export PLANLINT_PG_PID=$pid
    export PGHOST=127.0.0.1 PGPORT=$port PGUSER=$superuser PGDATABASE=postgres
    _pg_temp_log "PostgreSQL $("$bin/postgres" --version | sed 's/.*) //') ready on 127.0.0.1:$port" \
        "(pid $pid, user $superuser, dir $dir)"
}

# The helpers below serve pg_temp_start and scripts that start another cluster next to it (the
# disposable server of scripts/test.sh).

# Creates a cluster in DIR/data owned by the server's OS user, with trust authentication for
# SUPERUSER; initdb's output goes to DIR/initdb.log.
_pg_temp_initdb() { # BIN DIR SUPERUSER
    (cd "$2" && _pg_temp_as "$1/initdb" -D "$2/data" -U "$3" --auth=trust \
        --encoding=UTF8 --locale=C --no-sync >"$2/initdb.log" 2>&1)
}

# Starts postgres on DIR/data in the background as the server's OS user: 127.0.0.1:PORT and a
# socket in DIR only, tuned for speed, UTC, no autovacuum; OPTIONS (-c name=value ...) come
# last and win. Logs to DIR/postgres.log; sets _PG_TEMP_LAUNCHED to the background job's pid.
_pg_temp_launch() { # BIN DIR PORT [OPTIONS...]
    local bin=$1 dir=$2 port=$3
    shift 3
    (cd "$dir" && exec </dev/null && _pg_temp_as "$bin/postgres" -D "$dir/data" \
        -c listen_addresses=127.0.0.1 -c port="$port" -c unix_socket_directories="$dir" \
        -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
        -c timezone=UTC -c log_timezone=UTC -c lc_messages=C -c autovacuum=off \
        -c logging_collector=off "$@" >>"$dir/postgres.log" 2>&1) &
    _PG_TEMP_LAUNCHED=$!
}

# Waits up to ~30 s for the server on 127.0.0.1:PORT to accept USER (BIN: where pg_isready is);
# fails at once if the background job WRAPPER_PID (see _pg_temp_launch) has died.
_pg_temp_wait_ready() { # BIN PORT USER WRAPPER_PID
    local i
    for (( i = 0; i < 300; i++ )); do
        "$1/pg_isready" -q -h 127.0.0.1 -p "$2" -U "$3" -d postgres && return 0
        kill -0 "$4" 2>/dev/null || return 1   # postgres died
        sleep 0.1
    done
    return 1
}

pg_temp_stop() {
    local pid=${PLANLINT_PG_PID:-} dir=${PLANLINT_PG_DIR:-} i
    if [[ -z $pid && -n $dir && -f $dir/data/postmaster.pid ]]; then
        pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)
    fi
    if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
        kill -INT "$pid" 2>/dev/null || true          # fast shutdown
        for (( i = 0; i < 150; i++ )); do             # up to ~15 s
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            _pg_temp_log "postmaster $pid ignored SIGINT; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            # Backends of a SIGKILLed postmaster exit on their own once they notice; give them a moment.
            sleep 0.5
        fi
    fi
    if [[ -n ${_PG_TEMP_WRAPPER_PID:-} ]]; then
        wait "$_PG_TEMP_WRAPPER_PID" 2>/dev/null || true
    fi
    if [[ -n $dir && -d $dir && $dir == */planlint-pg.* ]]; then
        rm -rf -- "$dir" 2>/dev/null || true
    fi
    unset PLANLINT_PG_PID PLANLINT_PG_DIR PLANLINT_PG_SOCKET_DIR PLANLINT_PG_MAJOR _PG_TEMP_WRAPPER_PID
    unset PGHOST PGPORT PGUSER PGDATABASE
    return 0   # (an EXIT trap's status does not replace the script's exit status anyway)
}
