#!/usr/bin/env bash
#
# test-versions.sh — PostgreSQL 12 and 18 servers for tests/live_versions.rs, beside the 15 of
# scripts/test.sh. Source it from test.sh (after scripts/pg-temp.sh) and stop them in its cleanup:
#
#     source scripts/test-versions.sh
#     test_versions_start        # exports PLANLINT_TEST_PG12_URL and PLANLINT_TEST_PG18_URL
#     ...
#     test_versions_stop         # never fails; fit for a cleanup trap
#
# or run a command with them:
#
#     scripts/test-versions.sh cargo test --test live_versions
#
# test_versions_start installs the servers with scripts/pg-versions.sh (cached in
# target/pg-versions), and starts each in a temp dir of its own (${TMPDIR:-/tmp}/planlint-pg-v<major>.*)
# on 127.0.0.1 and a free port, as pg-temp.sh's unprivileged OS user, with pg-temp.sh's
# settings; it loads scripts/fixtures-schema.sql into each (ANALYZEd, as on 15). No HypoPG: these
# builds have none (tests/live_versions.rs checks that --verify says so). The majors are
# PLANLINT_TEST_VERSIONS (default "12 18"); a major whose PLANLINT_PG<major>_BIN is set runs the
# server of that bin folder instead (any build, e.g. /usr/lib/postgresql/17/bin), without npm.
# It returns 1 on failure, after stopping what it started; with CI=true its messages say that
# is fatal.

_test_versions_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/pg-temp.sh
source "$_test_versions_here/pg-temp.sh"
# shellcheck source=scripts/pg-versions.sh
source "$_test_versions_here/pg-versions.sh"

# Per major: its temp dir, the postmaster's pid and the background job's pid.
declare -gA _TEST_VERSIONS_DIR=() _TEST_VERSIONS_PID=() _TEST_VERSIONS_WRAPPER=()

_test_versions_fail() {
    if [[ ${CI:-} == true ]]; then
        printf 'test-versions: FATAL (CI=true): %s\n' "$*" >&2
    else
        printf 'test-versions: error: %s\n' "$*" >&2
    fi
}

# Starts one server of MAJOR and loads the fixture schema; exports PLANLINT_TEST_PG<MAJOR>_URL.
_test_versions_start_one() { # MAJOR
    local major=$1 bin client dir port preset=PLANLINT_PG${1}_BIN
    bin=${!preset:-$(pg_versions_bin "$major")}
    client=$(_pg_temp_client_bin "$bin") || { _test_versions_fail "no psql 15 to talk to PostgreSQL $major"; return 1; }
    dir=$(mktemp -d "${TMPDIR:-/tmp}/planlint-pg-v$major.XXXXXX") || { _test_versions_fail "mktemp failed"; return 1; }
    _TEST_VERSIONS_DIR[$major]=$dir
    if [[ -n $_PG_TEMP_RUNAS ]]; then chown "$_PG_TEMP_RUNAS:" "$dir"; fi
    chmod 700 "$dir"
    _pg_temp_initdb "$bin" "$dir" "$_PG_TEMP_SUPERUSER" \
        || { cat "$dir/initdb.log" >&2; _test_versions_fail "initdb of PostgreSQL $major failed"; return 1; }
    port=$(_pg_temp_free_port) || { _test_versions_fail "no free port for PostgreSQL $major"; return 1; }
    _pg_temp_launch "$bin" "$dir" "$port" -c max_connections=20 -c shared_buffers=32MB
    _TEST_VERSIONS_WRAPPER[$major]=$_PG_TEMP_LAUNCHED
    if ! _pg_temp_wait_ready "$client" "$port" "$_PG_TEMP_SUPERUSER" "$_PG_TEMP_LAUNCHED"; then
        tail -n 20 "$dir/postgres.log" >&2 || true
        _test_versions_fail "PostgreSQL $major did not start (log above)"
        return 1
    fi
    _TEST_VERSIONS_PID[$major]=$(head -n 1 "$dir/data/postmaster.pid")
    "$client/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U "$_PG_TEMP_SUPERUSER" \
        -d postgres -f "$_test_versions_here/fixtures-schema.sql" >"$dir/schema.log" 2>&1 \
        || { cat "$dir/schema.log" >&2; _test_versions_fail "loading the fixture schema into PostgreSQL $major failed"; return 1; }
    printf 'test-versions: PostgreSQL %s ready on 127.0.0.1:%s (pid %s, dir %s)\n' \
        "$("$bin/postgres" --version | sed 's/.*) //')" "$port" "${_TEST_VERSIONS_PID[$major]}" "$dir" >&2
    export "PLANLINT_TEST_PG${major}_URL=host=127.0.0.1 port=$port user=$_PG_TEMP_SUPERUSER dbname=postgres sslmode=disable"
}

# test_versions_start — the servers of PLANLINT_TEST_VERSIONS (default 12 and 18).
test_versions_start() {
    local majors major preset to_install=()
    read -r -a majors <<<"${PLANLINT_TEST_VERSIONS:-12 18}"
    for major in "${majors[@]}"; do
        preset=PLANLINT_PG${major}_BIN
        [[ -n ${!preset:-} ]] || to_install+=("$major")
    done
    if [[ ${#to_install[@]} -gt 0 ]]; then
        pg_versions_install "${to_install[@]}" || { test_versions_stop; return 1; }
    fi
    _pg_temp_os_user || { test_versions_stop; return 1; }
    for major in "${majors[@]}"; do
        _test_versions_start_one "$major" || { test_versions_stop; return 1; }
    done
}

# test_versions_stop — stops every server test_versions_start started (fast shutdown by pid,
# SIGKILL after ~15 s) and removes its temp dir.
test_versions_stop() {
    local major pid dir i
    for major in "${!_TEST_VERSIONS_DIR[@]}"; do
        dir=${_TEST_VERSIONS_DIR[$major]}
        pid=${_TEST_VERSIONS_PID[$major]:-}
        if [[ -z $pid && -f $dir/data/postmaster.pid ]]; then
            pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)
        fi
        if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
            kill -INT "$pid" 2>/dev/null || true
            for (( i = 0; i < 150; i++ )); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
        fi
        if [[ -n ${_TEST_VERSIONS_WRAPPER[$major]:-} ]]; then
            wait "${_TEST_VERSIONS_WRAPPER[$major]}" 2>/dev/null || true
        fi
        if [[ $dir == */planlint-pg-v"$major".* && -d $dir ]]; then rm -rf -- "$dir"; fi
        unset "PLANLINT_TEST_PG${major}_URL"
    done
    _TEST_VERSIONS_DIR=() _TEST_VERSIONS_PID=() _TEST_VERSIONS_WRAPPER=()
    return 0
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    set -euo pipefail
    [[ $# -gt 0 ]] || { echo "usage: scripts/test-versions.sh COMMAND [ARGS...]" >&2; exit 2; }
    trap test_versions_stop EXIT
    test_versions_start || exit 1
    "$@"
fi
