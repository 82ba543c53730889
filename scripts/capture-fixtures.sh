#!/usr/bin/env bash
#
# capture-fixtures.sh — regenerate planlint's test fixtures and examples from a real, throwaway
# PostgreSQL 15 server. Tests never hand-write plan JSON: everything under tests/fixtures/plans,
# tests/fixtures/paste, tests/fixtures/catalog*.json and the generated files in examples/ comes
# from here.
#
#   scripts/capture-fixtures.sh            # as root or as a normal user; ~15 s
#   PLANLINT_CAPTURE_OUT=DIR scripts/capture-fixtures.sh
#                                          # write DIR/tests/fixtures/... and DIR/examples/...
#                                          # instead of the repository's (e.g. a temp dir in CI,
#                                          # to capture everything without touching committed
#                                          # files); DIR is created if needed. Default: the repo.
#
# Steps: start a server (scripts/pg-temp.sh) with two databases:
#   postgres  scripts/fixtures-schema.sql         the main fixture schema (orders, customers, ...)
#   events    scripts/fixtures-schema-events.sql  the large-plan schema: `events`, hash-partitioned
#                                                 into 4,000 partitions (loaded in the background
#                                                 while the main fixtures are captured: creating
#                                                 the partitions takes several seconds)
# then for every scripts/fixtures-queries/NAME.sql write
#   tests/fixtures/plans/NAME.sql            the query (description comments + statements)
#   tests/fixtures/plans/NAME.json           EXPLAIN (FORMAT JSON) ...
#   tests/fixtures/plans/NAME.analyze.json   EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ...
# plus psql paste variants (tests/fixtures/paste/), one catalog snapshot per database
# (scripts/catalog-snapshot.sql -> tests/fixtures/catalog.json for postgres,
# tests/fixtures/catalog-events.json for events) and examples/.
# Every captured plan is checked against the "expect" lines of its query file; any failed
# check, SQL error or oversized file aborts the run and leaves the previous fixtures untouched
# (output is staged in a temp dir and only installed at the end).
# Size limits: 200 KiB per file, except the large-plan fixtures tests/fixtures/plans/events_*
# (8 MiB; the 4,000-partition plans are a few MB) and tests/fixtures/catalog-events.json (2 MiB).
#
# Query file format (scripts/fixtures-queries/NAME.sql; NAME = fixture name):
#   -- free text                         description, copied to tests/fixtures/plans/NAME.sql
#   -- database: NAME                    database to run in: postgres (default) or events
#   -- explain: OPTIONS                  options of the plain capture   (default: FORMAT JSON)
#   -- explain-analyze: OPTIONS          options of the analyze capture (default: ANALYZE,
#                                        BUFFERS, FORMAT JSON)
#   -- expect: SQL-BOOLEAN               must hold for both captures; `plan` is the plan as jsonb,
#                                        pg_temp.nodes(plan) yields every plan node (jsonb)
#   -- expect-analyze: SQL-BOOLEAN       must hold for the analyze capture
#   SET ...;                             setup statements (each ends with ';' at end of line),
#   PREPARE ...;                         run in the same session before the EXPLAIN
#   SELECT ...;                          the last statement is the one EXPLAINed
#
# Re-running regenerates the same set of files; plain plans are byte-identical from run to run
# (statistics come from full-table ANALYZE samples), analyze plans differ in timings only.

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
queries_dir=$here/fixtures-queries
max_bytes=$((200 * 1024))                  # every generated file, except:
max_bytes_events=$((8 * 1024 * 1024))      #   tests/fixtures/plans/events_* (4,000-partition plans)
max_bytes_catalog_events=$((2 * 1024 * 1024))   # tests/fixtures/catalog-events.json
start_time=$SECONDS

# Output root: the repository, or $PLANLINT_CAPTURE_OUT (made absolute now; created at install).
out_root=${PLANLINT_CAPTURE_OUT:-$root}
[[ $out_root == /* ]] || out_root=$PWD/$out_root
if [[ -e $out_root && ! -d $out_root ]]; then
    echo "capture-fixtures: error: PLANLINT_CAPTURE_OUT=$out_root is not a directory" >&2
    exit 1
fi

# shellcheck source=scripts/pg-temp.sh
source "$here/pg-temp.sh"

stage=$(mktemp -d "${TMPDIR:-/tmp}/planlint-capture.XXXXXX")
events_load_pid=
on_exit() {
    local rc=$?
    if [[ -n $events_load_pid ]] && kill -0 "$events_load_pid" 2>/dev/null; then
        kill "$events_load_pid" 2>/dev/null || true
        wait "$events_load_pid" 2>/dev/null || true
    fi
    pg_temp_stop || true
    rm -rf -- "$stage"
    if [[ $rc -ne 0 ]]; then
        echo "capture-fixtures: FAILED (exit $rc); existing fixtures were left untouched" >&2
    fi
    exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

die() { echo "capture-fixtures: error: $*" >&2; exit 1; }
log() { echo "capture-fixtures: $*" >&2; }

shopt -s nullglob
query_files=("$queries_dir"/*.sql)
shopt -u nullglob
[[ ${#query_files[@]} -gt 0 ]] || die "no query files in $queries_dir"

pg_temp_start
psql=("$PLANLINT_PG_BIN/psql" -X -v ON_ERROR_STOP=1)

# The events database loads in the background (one transaction for its 4,000 partitions, then
# VACUUM ANALYZE); wait_for_events waits for it before the first events capture.
log "loading scripts/fixtures-schema-events.sql into database events (in the background)"
"${psql[@]}" -q -c 'CREATE DATABASE events'
"${psql[@]}" -q -d events -f "$here/fixtures-schema-events.sql" >"$stage/events-load.log" 2>&1 &
events_load_pid=$!
wait_for_events() {
    [[ -n $events_load_pid ]] || return 0
    log "waiting for the events database"
    if ! wait "$events_load_pid"; then
        events_load_pid=
        cat "$stage/events-load.log" >&2
        die "loading scripts/fixtures-schema-events.sql failed (see above)"
    fi
    events_load_pid=
}

log "loading scripts/fixtures-schema.sql"
"${psql[@]}" -q -f "$here/fixtures-schema.sql"

mkdir -p "$stage/plans" "$stage/paste" "$stage/examples"

# parse_query_file FILE — sets: q_desc (description lines), q_setup (array of statements),
# q_stmt (the statement to EXPLAIN, without ';'), q_db, q_opts, q_aopts, q_expect,
# q_expect_analyze.
parse_query_file() {
    local file=$1 line trimmed cur="" re_dir='^--[[:space:]]*(database|explain|explain-analyze|expect|expect-analyze):[[:space:]]*(.*)$'
    local -a stmts=()
    q_desc=() q_setup=() q_stmt="" q_db=postgres q_opts="FORMAT JSON" q_aopts="ANALYZE, BUFFERS, FORMAT JSON"
    q_expect=() q_expect_analyze=()
    while IFS= read -r line || [[ -n $line ]]; do
        if [[ -z $cur && $line =~ $re_dir ]]; then
            case ${BASH_REMATCH[1]} in
                database) q_db=${BASH_REMATCH[2]%"${BASH_REMATCH[2]##*[![:space:]]}"} ;;
                explain) q_opts=${BASH_REMATCH[2]} ;;
                explain-analyze) q_aopts=${BASH_REMATCH[2]} ;;
                expect) q_expect+=("${BASH_REMATCH[2]}") ;;
                expect-analyze) q_expect_analyze+=("${BASH_REMATCH[2]}") ;;
            esac
            continue
        fi
        if [[ -z $cur && $line =~ ^-- ]]; then q_desc+=("$line"); continue; fi
        if [[ -z $cur && $line =~ ^[[:space:]]*$ ]]; then continue; fi
        cur+=${cur:+$'\n'}$line
        trimmed=${line%"${line##*[![:space:]]}"}
        if [[ $trimmed == *';' ]]; then stmts+=("$cur"); cur=""; fi
    done <"$file"
    [[ -z $cur ]] || die "$file: last statement does not end with ';' at end of line"
    [[ ${#stmts[@]} -gt 0 ]] || die "$file: no statement"
    q_stmt=${stmts[-1]}
    q_stmt=${q_stmt%;*}   # drop the final ';' (and anything after it on that line)
    unset 'stmts[-1]'
    q_setup=("${stmts[@]}")
    [[ $q_opts == *"FORMAT JSON"* && $q_aopts == *"FORMAT JSON"* ]] \
        || die "$file: explain options must include FORMAT JSON"
    [[ $q_db == postgres || $q_db == events ]] || die "$file: unknown database '$q_db' (postgres or events)"
}

# explain OPTIONS OUTFILE — EXPLAIN the parsed query (after its setup) into OUTFILE.
explain() {
    local opts=$1 out=$2 s
    local -a args=()
    for s in "${q_setup[@]}"; do args+=(-c "$s"); done
    args+=(-c "EXPLAIN ($opts) $q_stmt")
    "${psql[@]}" -q -At -d "$q_db" "${args[@]}" >"$out"
}

# Check script: every expectation of every fixture, evaluated by the server itself.
check_sql=$stage/check.sql
cat >"$check_sql" <<'EOF'
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE FUNCTION pg_temp.nodes(p jsonb) RETURNS SETOF jsonb LANGUAGE sql IMMUTABLE AS $f$
    WITH RECURSIVE t(n) AS (
        SELECT p -> 0 -> 'Plan'
        UNION ALL
        SELECT c FROM t, jsonb_array_elements(
            CASE WHEN jsonb_typeof(t.n -> 'Plans') = 'array' THEN t.n -> 'Plans' ELSE '[]' END) AS c
    )
    SELECT n FROM t
$f$;
EOF
add_checks() {   # add_checks JSONFILE LABEL EXPR...
    local file=$1 label=$2 e; shift 2
    printf '\\set plan `cat %s`\n' "$file" >>"$check_sql"
    # Parsing as jsonb is itself a check: the file must be one valid JSON document.
    printf "SELECT 'ok|%s|valid JSON' FROM (SELECT :'plan'::jsonb AS plan) s;\n" "$label" >>"$check_sql"
    for e in "$@"; do
        [[ $e != *'$planlint$'* ]] || die "$label: expectation contains \$planlint\$"
        printf 'SELECT CASE WHEN (%s) IS TRUE THEN %s ELSE %s END || %s FROM (SELECT :%s::jsonb AS plan) s;\n' \
            "$e" "'ok|'" "'FAIL|'" "\$planlint\$$label|$e\$planlint\$" "'plan'" >>"$check_sql"
    done
}

# capture FILE — capture one query file (already validated) into $stage/plans.
capture() {
    local f=$1 name s
    name=$(basename "$f" .sql)
    parse_query_file "$f"
    log "capturing $name"
    {
        printf '%s\n' "${q_desc[@]}"
        printf -- '-- Captured by scripts/capture-fixtures.sh from scripts/fixtures-queries/%s.sql:\n' "$name"
        if [[ $q_db != postgres ]]; then
            printf -- '--   database %s (schema: scripts/fixtures-schema-%s.sql)\n' "$q_db" "$q_db"
        fi
        printf -- '--   %s.json:         EXPLAIN (%s)\n' "$name" "$q_opts"
        printf -- '--   %s.analyze.json: EXPLAIN (%s)\n' "$name" "$q_aopts"
        for s in "${q_setup[@]}"; do printf '%s\n' "$s"; done
        printf '%s;\n' "$q_stmt"
    } >"$stage/plans/$name.sql"
    explain "$q_opts" "$stage/plans/$name.json"
    explain "$q_aopts" "$stage/plans/$name.analyze.json"
    add_checks "$stage/plans/$name.json" "$name.json" "${q_expect[@]}"
    add_checks "$stage/plans/$name.analyze.json" "$name.analyze.json" "${q_expect[@]}" "${q_expect_analyze[@]}"
}

# Validate every query file first; capture those of the main database now and those of the
# events database once it is loaded (below).
names=() main_files=() events_files=()
for f in "${query_files[@]}"; do
    name=$(basename "$f" .sql)
    [[ $name =~ ^[a-z0-9_]+$ ]] || die "$f: fixture names are [a-z0-9_]+"
    names+=("$name")
    parse_query_file "$f"
    if [[ $q_db == events ]]; then events_files+=("$f"); else main_files+=("$f"); fi
done
for f in "${main_files[@]}"; do capture "$f"; done

# psql paste variants of the orders-by-customer plan, as people copy them from a terminal or a
# GUI, plus two plans back to back and a text-format plan (for error-message tests).
log "capturing paste variants"
parse_query_file "$queries_dir/orders_by_customer_all_partitions.sql"
customer_stmt=$q_stmt
parse_query_file "$queries_dir/orders_by_id_between_two_partitions.sql"
between_stmt=$q_stmt
p=$stage/paste
"${psql[@]}" -c "EXPLAIN (FORMAT JSON) $customer_stmt" >"$p/orders_by_customer.aligned.txt"
"${psql[@]}" -A -c "EXPLAIN (FORMAT JSON) $customer_stmt" >"$p/orders_by_customer.unaligned.txt"
"${psql[@]}" -At -c "EXPLAIN (FORMAT JSON) $customer_stmt" >"$p/orders_by_customer.tuples_only.txt"
"${psql[@]}" -x -c "EXPLAIN (FORMAT JSON) $customer_stmt" >"$p/orders_by_customer.expanded.txt"
"${psql[@]}" --csv -c "EXPLAIN (FORMAT JSON) $customer_stmt" >"$p/orders_by_customer.csv"
{
    "${psql[@]}" -At -c "EXPLAIN (FORMAT JSON) $customer_stmt"
    "${psql[@]}" -At -c "EXPLAIN (FORMAT JSON) $between_stmt"
} >"$p/two_plans.tuples_only.txt"
"${psql[@]}" -c "EXPLAIN $customer_stmt" >"$p/orders_by_customer.text_format.txt"
add_checks "$p/orders_by_customer.tuples_only.txt" "paste/orders_by_customer.tuples_only.txt" \
    "plan->0->'Plan'->>'Node Type' = 'Gather'"
cat >"$p/README.md" <<EOF
# psql paste variants (generated)

Written by \`scripts/capture-fixtures.sh\`; do not edit. All show the plain
\`EXPLAIN (FORMAT JSON)\` plan of \`tests/fixtures/plans/orders_by_customer_all_partitions.sql\`
(the same plan as \`tests/fixtures/plans/orders_by_customer_all_partitions.json\`), as printed by:

| file | command |
|------|---------|
| \`orders_by_customer.aligned.txt\` | \`psql -X -c "EXPLAIN (FORMAT JSON) ..."\` (default aligned output: \`QUERY PLAN\` header, dashed rule, \`+\` continuation marks, \`(1 row)\` footer) |
| \`orders_by_customer.unaligned.txt\` | \`psql -X -A -c ...\` (unaligned, with header and footer) |
| \`orders_by_customer.tuples_only.txt\` | \`psql -X -At -c ...\` (the bare JSON) |
| \`orders_by_customer.expanded.txt\` | \`psql -X -x -c ...\` (expanded: \`-[ RECORD 1 ]\` and \`QUERY PLAN | ...\`) |
| \`orders_by_customer.csv\` | \`psql -X --csv -c ...\` (CSV-quoted, like pgAdmin/DBeaver copies) |
| \`two_plans.tuples_only.txt\` | two \`psql -X -At\` outputs concatenated: the plan above, then \`orders_by_id_between_two_partitions\` |
| \`orders_by_customer.text_format.txt\` | \`psql -X -c "EXPLAIN ..."\` (text format, not JSON: for the error-message test) |
EOF

log "capturing the catalog snapshot"
"${psql[@]}" -At -f "$here/catalog-snapshot.sql" >"$stage/catalog.json"
add_checks "$stage/catalog.json" "catalog.json" \
    "(plan->>'planlint_catalog')::int = 1" \
    "(SELECT count(*) FROM jsonb_array_elements(plan->'relations') r WHERE r->>'parent' = 'public.orders') = 8" \
    "(SELECT count(*) FROM jsonb_array_elements(plan->'relations') r WHERE r->>'parent' IN ('public.sales_2023', 'public.sales_2024')) = 6"

# examples/: the classic case for the README.
log "writing examples"
{
    echo "-- Schema of the README example: a subset of scripts/fixtures-schema.sql (generated by"
    echo "-- scripts/capture-fixtures.sh; the data are loaded by that file)."
    echo
    sed -n '/^-- BEGIN example$/,/^-- END example$/{/^-- \(BEGIN\|END\) example$/d;p;}' "$here/fixtures-schema.sql"
} >"$stage/examples/schema.sql"
grep -q 'PARTITION BY RANGE (order_id)' "$stage/examples/schema.sql" || die "example schema extraction failed"
example() {   # example FIXTURE EXAMPLE_NAME
    parse_query_file "$queries_dir/$1.sql"
    { printf '%s\n' "${q_desc[@]}"; printf '%s;\n' "$q_stmt"; } >"$stage/examples/$2.sql"
    cp "$stage/plans/$1.json" "$stage/examples/$2.json"
}
example orders_by_customer_all_partitions orders-by-customer
example orders_by_id_between_two_partitions orders-by-id
cp "$stage/catalog.json" "$stage/examples/catalog.json"

# The events database: its fixtures and its own catalog snapshot (4,000 partitions; kept out of
# tests/fixtures/catalog.json, which stays small).
wait_for_events
for f in "${events_files[@]}"; do capture "$f"; done
log "capturing the events catalog snapshot"
"${psql[@]}" -At -d events -f "$here/catalog-snapshot.sql" >"$stage/catalog-events.json"
add_checks "$stage/catalog-events.json" "catalog-events.json" \
    "(plan->>'planlint_catalog')::int = 1" \
    "jsonb_array_length(plan->'relations') = 4001" \
    "(SELECT count(*) FROM jsonb_array_elements(plan->'relations') r WHERE r->>'parent' = 'public.events' AND r->>'kind' = 'table') = 4000" \
    "EXISTS (SELECT FROM jsonb_array_elements(plan->'relations') r WHERE r->>'name' = 'events' AND r->'partition_key'->>'definition' = 'HASH (user_id)')"

log "checking expectations"
check_out=$("${psql[@]}" -At -q -f "$check_sql")
fails=$(grep -v '^ok|' <<<"$check_out" || true)
if [[ -n $fails ]]; then
    echo "$fails" >&2
    die "some captured plans do not show what their fixture claims (see FAIL lines above)"
fi
log "$(grep -c '^ok|' <<<"$check_out") checks passed"

while IFS= read -r -d '' f; do
    size=$(wc -c <"$f")
    case ${f#"$stage"/} in
        plans/events_*) limit=$max_bytes_events ;;
        catalog-events.json) limit=$max_bytes_catalog_events ;;
        *) limit=$max_bytes ;;
    esac
    [[ $size -le $limit ]] || die "${f#"$stage"/} is $size bytes (limit $limit)"
    [[ $size -gt 0 ]] || die "${f#"$stage"/} is empty"
done < <(find "$stage/plans" "$stage/paste" "$stage/examples" "$stage/catalog.json" \
    "$stage/catalog-events.json" -type f -print0)

# Install into the output root ($out_root: the repository unless PLANLINT_CAPTURE_OUT is set):
# replace the generated directories wholesale, so that stale fixtures disappear.
rm -f "$check_sql"
mkdir -p "$out_root/tests/fixtures" "$out_root/examples"
rm -rf -- "$out_root/tests/fixtures/plans" "$out_root/tests/fixtures/paste"
cp -R "$stage/plans" "$out_root/tests/fixtures/plans"
cp -R "$stage/paste" "$out_root/tests/fixtures/paste"
cp "$stage/catalog.json" "$stage/catalog-events.json" "$out_root/tests/fixtures/"
cp "$stage/examples/"* "$out_root/examples/"
chmod -R u+rwX,go+rX "$out_root/tests/fixtures/plans" "$out_root/tests/fixtures/paste" \
    "$out_root/examples" "$out_root/tests/fixtures/catalog.json" \
    "$out_root/tests/fixtures/catalog-events.json"

log "wrote ${#names[@]} fixtures (x2 plans), paste variants, catalogs and examples to $out_root" \
    "in $((SECONDS - start_time)) s"
