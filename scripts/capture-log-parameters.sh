#!/usr/bin/env bash
#
# capture-log-parameters.sh — capture real server logs of statements run with bind parameters
# over the extended protocol, from PostgreSQL 16 or later, whose auto_explain writes their
# values after the statement (`Query Parameters: $1 = '11', $2 = ...`), for planlint's log
# reader tests (tests/fixtures/logs/pg<major>-params-*). PostgreSQL 15, which every other log
# fixture comes from (scripts/capture-logs.sh), writes no such line.
#
#   scripts/capture-log-parameters.sh          # PostgreSQL 18 (scripts/pg-versions.sh installs
#                                              # it under target/pg-versions; needs npm); ~20 s
#   scripts/capture-log-parameters.sh 16       # another major, 16 or later
#   PLANLINT_CAPTURE_OUT=DIR scripts/capture-log-parameters.sh
#                                              # write DIR/tests/fixtures/logs/ instead
#
# One throwaway server (scripts/pg-temp.sh with PLANLINT_PG_SERVER_BIN, as
# scripts/capture-versions.sh runs the other versions) with shared_preload_libraries=auto_explain
# and logging_collector=on loads scripts/fixtures-schema.sql with logging off, then runs one
# workload per variant below. Between variants only settings a reload changes are altered
# (log_destination and log_filename, as scripts/capture-logs.sh does); auto_explain's settings
# are set per session (PGOPTIONS), so only the workload's session is logged.
#
# The workload: Debian's pgbench 15 (PostgreSQL 15's client; the embedded builds ship none), one
# client, a fixed --random-seed, 8 transactions of
#   SELECT * FROM orders WHERE customer_id = :cid      every partition scanned: the worst;
#   SELECT * FROM orders WHERE order_id = :oid         pruned to orders_p1 (oid <= 50000);
#   SELECT id, region FROM customers WHERE email = :email
#                                                      a value longer than the truncated length;
#   SELECT count(*) FROM customers WHERE region = :note
#                                                      a value of several lines, with a quote
#                                                      (doubled in the log).
# Each `:name` is sent as a bind parameter ($1). pgbench -M extended runs each statement as an
# unnamed one, planned with its values (a custom plan: the plan shows the value too, so the note
# must read as a filter's constant there, two plain lines); -M prepared with
# plan_cache_mode=force_generic_plan runs named statements whose plans show `$1`, and the values
# are only in `Query Parameters`: there the note also holds a blank line and a line that reads
# like a plan node ("Sort the eu orders first"), as free text may.
#
# Variants (file = pg<major>-params-<format>-<destination>[-<what>]), with log_analyze=on and
# log_line_prefix '%m [%p] ':
#   pg<major>-params-text-stderr.log            log_format=text, -M extended, every value whole
#                                               (log_parameter_max_length=-1, the default)
#   pg<major>-params-text-stderr-none.log       the same with log_parameter_max_length=0: no
#                                               `Query Parameters` at all, to compare with
#   pg<major>-params-text-stderr-generic.log    text, -M prepared, generic plans
#   pg<major>-params-text-csvlog-truncated.csv  text, csvlog, -M extended, values cut at 6 bytes
#                                               (`'user31...'`)
#   pg<major>-params-json-jsonlog.json          log_format=json (a "Query Parameters" member),
#                                               jsonlog, -M extended
# Each file is checked to hold its 32 plan entries and as many `Query Parameters` (none in
# -none), and to be under 96 KiB.

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
out_root=${PLANLINT_CAPTURE_OUT:-$root}
[[ $out_root == /* ]] || out_root=$PWD/$out_root
out=$out_root/tests/fixtures/logs
max_bytes=$((96 * 1024))
major=${1:-18}
transactions=8

log() { printf 'capture-log-parameters: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ $major =~ ^[0-9]+$ ]] && ((major >= 16)) \
    || die "PostgreSQL $major: auto_explain logs parameters from 16 on; give 16, 17 or 18"
pgbench=/usr/lib/postgresql/15/bin/pgbench
[[ -x $pgbench ]] || die "no $pgbench (Debian's postgresql-15, as scripts/pg-temp.sh installs it)"

# shellcheck source=scripts/pg-temp.sh
source "$here/pg-temp.sh"
# shellcheck source=scripts/pg-versions.sh
source "$here/pg-versions.sh"
pg_versions_install "$major" || die "no PostgreSQL $major (scripts/pg-versions.sh)"
stage=$(mktemp -d "${TMPDIR:-/tmp}/planlint-log-parameters.XXXXXX")
cleanup() { pg_temp_stop; rm -rf -- "$stage"; }
trap cleanup EXIT

PLANLINT_PG_SERVER_BIN=$(pg_versions_bin "$major") \
    PLANLINT_PG_EXTRA_OPTS="-c shared_preload_libraries=auto_explain -c logging_collector=on \
-c log_directory=logs -c max_parallel_workers_per_gather=0" pg_temp_start \
    || die "no PostgreSQL $major server"
[[ $PLANLINT_PG_MAJOR == "$major" ]] || die "started PostgreSQL $PLANLINT_PG_MAJOR, not $major"
psql=("$PLANLINT_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1)
logs_dir=$PLANLINT_PG_DIR/data/logs

log "loading scripts/fixtures-schema.sql"
"${psql[@]}" -f "$here/fixtures-schema.sql" >/dev/null

# The transaction pgbench runs.
cat >"$stage/workload.sql" <<'SQL'
\set cid random(1, 100000)
\set oid random(1, 50000)
SELECT * FROM orders WHERE customer_id = :cid;
SELECT * FROM orders WHERE order_id = :oid;
SELECT id, region FROM customers WHERE email = :email;
SELECT count(*) FROM customers WHERE region = :note;
SQL
custom_note=$'it\'s the eu\nand the uk'
generic_note=$'it\'s urgent\n\nSort the eu orders first'

# Reloads with DESTINATION and a new FILE name (which starts a new log file).
switch_log() { # DESTINATION FILE
    "${psql[@]}" -c "ALTER SYSTEM SET log_destination = '$1'" \
        -c "ALTER SYSTEM SET log_line_prefix = '%m [%p] '" \
        -c "ALTER SYSTEM SET log_filename = '$2'" -c 'SELECT pg_reload_conf()' >/dev/null
    sleep 0.5
}

# Captures one variant: NAME DESTINATION EXTENSION PGBENCH_MODE NOTE OPTIONS.
variant() {
    local name=$1 destination=$2 extension=$3 mode=$4 note=$5 options=$6
    log "capturing $name.$extension"
    switch_log "$destination" "$name.log"
    PGOPTIONS="-c auto_explain.log_min_duration=0 -c auto_explain.log_nested_statements=off \
-c auto_explain.log_analyze=on $options" \
        "$pgbench" -n -M "$mode" -c 1 -t "$transactions" --random-seed=5 \
        -D email=user31@example.com -D "note=$note" -f "$stage/workload.sql" \
        >"$stage/$name.pgbench" 2>&1 || { cat "$stage/$name.pgbench" >&2; die "pgbench failed"; }
    sleep 0.5
    switch_log stderr "setup-after-$name.log"
    cp "$logs_dir/$name.$extension" "$stage/$name.$extension" \
        || die "the server wrote no $name.$extension"
}

prefix=pg$major-params
text="-c auto_explain.log_format=text"
variant "$prefix-text-stderr" stderr log extended "$custom_note" "$text"
variant "$prefix-text-stderr-none" stderr log extended "$custom_note" \
    "$text -c auto_explain.log_parameter_max_length=0"
variant "$prefix-text-stderr-generic" stderr log prepared "$generic_note" \
    "$text -c plan_cache_mode=force_generic_plan"
variant "$prefix-text-csvlog-truncated" csvlog csv extended "$custom_note" \
    "$text -c auto_explain.log_parameter_max_length=6"
variant "$prefix-json-jsonlog" jsonlog json extended "$custom_note" "-c auto_explain.log_format=json"

for file in "$stage/$prefix"-*.{log,csv,json}; do
    size=$(stat -c %s "$file")
    ((size <= max_bytes)) || die "$(basename "$file") is $size bytes, over $max_bytes"
    plans=$(grep -c 'plan:' "$file" || true)
    parameters=$(grep -c 'Query Parameters' "$file" || true)
    expected=$((4 * transactions))
    [[ $file == *-none.log ]] && expected=0
    ((plans == 4 * transactions && parameters == expected)) \
        || die "$(basename "$file"): $plans plan entries and $parameters with parameters, expected $((4 * transactions)) and $expected"
done

mkdir -p "$out"
cp "$stage/$prefix"-*.{log,csv,json} "$out/"
log "wrote the logs of PostgreSQL $("$(pg_versions_bin "$major")/postgres" --version | sed 's/.*) //') to $out"
