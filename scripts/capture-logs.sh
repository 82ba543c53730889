#!/usr/bin/env bash
#
# capture-logs.sh — capture real PostgreSQL 15 server logs with auto_explain entries for
# planlint's log reader tests (tests/fixtures/logs/). Tests never hand-write log text except for
# malformed input: every file here comes from a throwaway server.
#
#   scripts/capture-logs.sh                     # ~20 s; rewrites tests/fixtures/logs/
#   PLANLINT_CAPTURE_OUT=DIR scripts/capture-logs.sh
#                                               # write DIR/tests/fixtures/logs/ instead
#
# One server (scripts/pg-temp.sh) with shared_preload_libraries=auto_explain and
# logging_collector=on loads scripts/fixtures-schema.sql with logging off, then runs the same
# workload once per variant below. Between variants only settings a reload changes are altered
# (log_destination, log_line_prefix, log_filename: a new file name makes the collector start a
# new file); auto_explain's settings and log_min_duration_statement are set per session
# (PGOPTIONS), so only the workload's own sessions are logged.
#
# The workload: two sessions at once, so their lines interleave in the log —
#   A: SELECT * FROM orders WHERE customer_id = N, 8 times with different N: no index on
#      customer_id and orders is partitioned by order_id, so every execution scans all eight
#      partitions; it dominates the logged time;
#   B: a lookup by order_id (pruned to one partition), a customers lookup by email (a
#      sequential scan), a join, and utility statements (SET, VACUUM) that auto_explain never
#      explains: with log_min_duration_statement=0 they are logged as `duration: ... statement:`
#      without a plan, as every planned statement is too.
#
# Variants (file = format-destination[-noanalyze]):
#   text-stderr.log         auto_explain.log_format=text, stderr, prefix '%m [%p] %q%u@%d ',
#                           log_analyze=on, log_min_duration_statement=0
#   json-stderr.log         format json, stderr, prefix '%t [%p]: [%l-1] user=%u,db=%d,app=%a ',
#                           log_analyze=off
#   text-stderr-noanalyze.log  format text, stderr, prefix '%m [%p] ', log_analyze=off
#   text-csvlog.csv         format text, csvlog, log_analyze=on
#   json-csvlog.csv         format json, csvlog, log_analyze=on
#   text-jsonlog.json       format text, jsonlog, log_analyze=on, log_min_duration_statement=0
#   json-jsonlog.json       format json, jsonlog, log_analyze=on
# Each file is checked to hold the workload's entries and to be under 96 KiB (JSON plans under ANALYZE are verbose).

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
out_root=${PLANLINT_CAPTURE_OUT:-$root}
[[ $out_root == /* ]] || out_root=$PWD/$out_root
out=$out_root/tests/fixtures/logs
max_bytes=$((96 * 1024))

log() { printf 'capture-logs: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# shellcheck source=scripts/pg-temp.sh
source "$here/pg-temp.sh"
stage=$(mktemp -d "${TMPDIR:-/tmp}/planlint-logs.XXXXXX")
cleanup() { pg_temp_stop; rm -rf -- "$stage"; }
trap cleanup EXIT

# Only what needs a restart goes on the command line: settings given there override ALTER
# SYSTEM, and the log settings change between variants.
PLANLINT_PG_EXTRA_OPTS="-c shared_preload_libraries=auto_explain -c logging_collector=on \
-c log_directory=logs -c max_parallel_workers_per_gather=0" pg_temp_start \
    || die "no PostgreSQL 15 server"
psql=("$PLANLINT_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1)
logs_dir=$PLANLINT_PG_DIR/data/logs

log "loading scripts/fixtures-schema.sql"
"${psql[@]}" -f "$here/fixtures-schema.sql" >/dev/null

# Session A: the statement that scans every partition, again and again.
session_a() {
    local n
    for n in 11 23 37 41 53 67 71 83; do
        printf 'SELECT * FROM orders WHERE customer_id = %d;\nSELECT pg_sleep(0.01);\n' "$n"
    done
}

# Session B: cheap statements, and utility statements auto_explain does not explain.
session_b() {
    local n
    for n in 1 2 3; do
        printf 'SELECT * FROM orders WHERE order_id = %d;\n' $((n * 1000 + 7))
        printf "SELECT id, region FROM customers WHERE email = 'user%d@example.com';\n" $((n * 31))
        printf 'SET work_mem = %s;\n' "'8MB'"
        printf 'SELECT pg_sleep(0.01);\n'
    done
    printf 'SELECT c.region, count(*) FROM customers c JOIN orders o ON o.customer_id = c.id\n'
    printf '  WHERE c.id < 50\n  GROUP BY c.region;\n'
    printf 'VACUUM customers;\n'
}

# Reloads with DESTINATION, PREFIX and a new FILE name (which starts a new log file).
switch_log() { # DESTINATION PREFIX FILE
    "${psql[@]}" -c "ALTER SYSTEM SET log_destination = '$1'" \
        -c "ALTER SYSTEM SET log_line_prefix = '$2'" \
        -c "ALTER SYSTEM SET log_filename = '$3'" -c 'SELECT pg_reload_conf()' >/dev/null
    sleep 0.5
}

# Runs the workload in two concurrent sessions with auto_explain's OPTIONS.
workload() { # OPTIONS
    PGOPTIONS="$1" "${psql[@]}" -f <(session_a) >/dev/null &
    local a=$!
    PGOPTIONS="$1" "${psql[@]}" -f <(session_b) >/dev/null &
    local b=$!
    wait "$a" || die "session A failed"
    wait "$b" || die "session B failed"
    sleep 0.5
}

# Captures one variant: NAME DESTINATION EXTENSION PREFIX OPTIONS.
variant() {
    local name=$1 destination=$2 extension=$3 prefix=$4 options=$5
    log "capturing $name.$extension"
    switch_log "$destination" "$prefix" "$name.log"
    workload "$options"
    switch_log stderr "%m [%p] " "setup-after-$name.log"
    cp "$logs_dir/$name.$extension" "$stage/$name.$extension" \
        || die "the server wrote no $name.$extension"
}

ae="-c auto_explain.log_min_duration=0 -c auto_explain.log_nested_statements=off"
variant text-stderr stderr log '%m [%p] %q%u@%d ' \
    "$ae -c auto_explain.log_analyze=on -c auto_explain.log_format=text -c log_min_duration_statement=0"
variant json-stderr stderr log '%t [%p]: [%l-1] user=%u,db=%d,app=%a ' \
    "$ae -c auto_explain.log_analyze=off -c auto_explain.log_format=json"
variant text-stderr-noanalyze stderr log '%m [%p] ' \
    "$ae -c auto_explain.log_analyze=off -c auto_explain.log_format=text"
variant text-csvlog csvlog csv '' \
    "$ae -c auto_explain.log_analyze=on -c auto_explain.log_format=text"
variant json-csvlog csvlog csv '' \
    "$ae -c auto_explain.log_analyze=on -c auto_explain.log_format=json"
variant text-jsonlog jsonlog json '' \
    "$ae -c auto_explain.log_analyze=on -c auto_explain.log_format=text -c log_min_duration_statement=0"
variant json-jsonlog jsonlog json '' \
    "$ae -c auto_explain.log_analyze=on -c auto_explain.log_format=json"

for file in "$stage"/*; do
    size=$(stat -c %s "$file")
    ((size <= max_bytes)) || die "$(basename "$file") is $size bytes, over $max_bytes"
    plans=$(grep -c 'plan:' "$file" || true)
    scans=$(grep -c 'customer_id = ' "$file" || true)
    ((plans >= 15 && scans >= 8)) \
        || die "$(basename "$file"): $plans plan entries, $scans mentions of the customer query"
done

mkdir -p "$out"
cp "$stage"/* "$out/"
log "wrote $(ls "$stage" | wc -l) logs to $out"
