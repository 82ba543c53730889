#!/usr/bin/env bash
#
# capture-fixtures.sh — regenerate planlint's test fixtures and examples from a real, throwaway
# PostgreSQL 15 server. Tests never hand-write plan JSON: everything under tests/fixtures/plans,
# tests/fixtures/paste, tests/fixtures/catalog*.json and the generated files in examples/ comes
# from here.
#
#   scripts/capture-fixtures.sh            # as root or as a normal user; ~15 s
#   scripts/capture-fixtures.sh BIN        # another major version: BIN is its server's bin
#                                          # folder (initdb, postgres; e.g. one that
#                                          # scripts/pg-versions.sh installs); see "Other
#                                          # versions" below. scripts/capture-versions.sh
#                                          # captures every version in one go.
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
#   tests/fixtures/plans/NAME.txt            the plain EXPLAIN again with FORMAT TEXT,
#   tests/fixtures/plans/NAME.analyze.txt    the analyze one with FORMAT TEXT, and
#   tests/fixtures/plans/NAME.yaml, NAME.xml the plain one with FORMAT YAML and XML (not for the
#                                            events database), each in the same session right
#                                            after its JSON, so that all formats are planned
#                                            from the same statistics and settings
# plus psql paste variants (tests/fixtures/paste/: plans of three of those queries in every psql
# layout and EXPLAIN format the tests read, one file per variant, listed in the README.md written
# there), one catalog snapshot per database
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
#   -- versions: V                       captured on those server versions only (V as in
#                                        expect(V) below), for what older versions lack
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
#   -- expect(V): SQL-BOOLEAN            the same, on some server versions only: V is a major
#   -- expect-analyze(V): SQL-BOOLEAN    version (12), a range (12-13) or a lower bound (17+); for
#   -- explain(V), explain-analyze(V):   where a version legitimately plans (or explains)
#                                        differently; a later line of the same kind wins
#
# Other versions (BIN given, a server other than 15): the same queries on the same schema, into
# tests/fixtures/plans/<major>/ (NAME.sql, NAME.json, NAME.txt, NAME.analyze.json,
# NAME.analyze.txt, and catalog.json, the snapshot of its postgres database), replacing that
# folder only. Not captured there: YAML and XML (format parity is the readers' business, tested
# on 15), the paste variants, examples/, and the events database (its 4,000-partition plans are
# megabytes a version). PostgreSQL 15's captures stay the flat files of tests/fixtures/plans,
# which a capture of 15 rewrites without touching the version folders.
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

# A server bin folder as argument: that version's server (pg-temp.sh's PLANLINT_PG_SERVER_BIN).
if [[ $# -gt 1 ]]; then
    echo "capture-fixtures: usage: scripts/capture-fixtures.sh [SERVER-BIN-FOLDER]" >&2
    exit 2
fi
if [[ $# -eq 1 ]]; then
    [[ -x $1/postgres ]] || { echo "capture-fixtures: error: $1 has no postgres" >&2; exit 1; }
    export PLANLINT_PG_SERVER_BIN=$1
fi

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
# The server's major version; any but 15 is captured into its own folder (see above).
major=$PLANLINT_PG_MAJOR
version_dir=""
[[ $major == 15 ]] || version_dir=plans/$major
log "PostgreSQL $major: writing ${version_dir:-the fixtures}"

# The events database loads in the background (one transaction for its 4,000 partitions, then
# VACUUM ANALYZE); wait_for_events waits for it before the first events capture.
if [[ -z $version_dir ]]; then
    log "loading scripts/fixtures-schema-events.sql into database events (in the background)"
    "${psql[@]}" -q -c 'CREATE DATABASE events'
    "${psql[@]}" -q -d events -f "$here/fixtures-schema-events.sql" >"$stage/events-load.log" 2>&1 &
    events_load_pid=$!
fi
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

# for_version CONDITION — 0 if the server's major version ($major) matches CONDITION (N, N-M or
# N+), 1 if not, 2 if CONDITION is malformed.
for_version() {
    if [[ $1 =~ ^([0-9]+)$ ]]; then
        [[ $major -eq ${BASH_REMATCH[1]} ]]
    elif [[ $1 =~ ^([0-9]+)-([0-9]+)$ ]]; then
        [[ $major -ge ${BASH_REMATCH[1]} && $major -le ${BASH_REMATCH[2]} ]]
    elif [[ $1 =~ ^([0-9]+)\+$ ]]; then
        [[ $major -ge ${BASH_REMATCH[1]} ]]
    else
        return 2
    fi
}

# parse_query_file FILE — sets: q_desc (description lines), q_setup (array of statements),
# q_stmt (the statement to EXPLAIN, without ';'), q_db, q_opts, q_aopts, q_expect,
# q_expect_analyze.
parse_query_file() {
    local file=$1 line trimmed cur="" kind versions value
    local re_dir='^--[[:space:]]*(database|versions|explain|explain-analyze|expect|expect-analyze)(\(([^)]*)\))?:[[:space:]]*(.*)$'
    local -a stmts=()
    q_desc=() q_setup=() q_stmt="" q_db=postgres q_versions="" q_opts="FORMAT JSON" q_aopts="ANALYZE, BUFFERS, FORMAT JSON"
    q_expect=() q_expect_analyze=()
    while IFS= read -r line || [[ -n $line ]]; do
        if [[ -z $cur && $line =~ $re_dir ]]; then
            kind=${BASH_REMATCH[1]} versions=${BASH_REMATCH[3]} value=${BASH_REMATCH[4]}
            if [[ -n ${BASH_REMATCH[2]} ]]; then
                [[ $kind != database && $kind != versions ]] || die "$file: $kind takes no versions: $line"
                # A malformed condition dies; one not matching this server skips the line.
                for_version "$versions" || { [[ $? -eq 1 ]] || die "$file: bad version condition: $line"; continue; }
            fi
            case $kind in
                database) q_db=${value%"${value##*[![:space:]]}"} ;;
                versions) q_versions=${value%"${value##*[![:space:]]}"} ;;
                explain) q_opts=$value ;;
                explain-analyze) q_aopts=$value ;;
                expect) q_expect+=("$value") ;;
                expect-analyze) q_expect_analyze+=("$value") ;;
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

# explain OPTIONS OUTFILE [FORMAT OUTFILE]... — EXPLAIN the parsed query (after its setup)
# into OUTFILE, then, in the same session and with the same options but FORMAT, into each
# further OUTFILE: the same planning inputs (statistics, settings, setup) for every format.
explain() {
    local opts=$1 out=$2 s format
    local -a args=()
    shift 2
    for s in "${q_setup[@]}"; do args+=(-c "$s"); done
    args+=(-c "\\o $out" -c "EXPLAIN ($opts) $q_stmt")
    while [[ $# -gt 0 ]]; do
        format=$1
        args+=(-c "\\o $2" -c "EXPLAIN (${opts/FORMAT JSON/FORMAT $format}) $q_stmt")
        shift 2
    done
    "${psql[@]}" -q -At -d "$q_db" "${args[@]}"
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
        if [[ -n $version_dir ]]; then
            printf -- '--   on PostgreSQL %s\n' "$("$PLANLINT_PG_BIN/psql" -X -At -c 'SHOW server_version')"
        fi
        printf -- '--   %s.txt, .analyze.txt (and, but for the events database, .yaml and .xml): the\n' "$name"
        printf -- '--     same, with FORMAT TEXT (YAML, XML), in the same session right after the JSON\n'
        for s in "${q_setup[@]}"; do printf '%s\n' "$s"; done
        printf '%s;\n' "$q_stmt"
    } >"$stage/plans/$name.sql"
    if [[ $q_db == events || -n $version_dir ]]; then
        # The 4,000-partition plans: text beside JSON (YAML and XML would add megabytes and
        # test nothing the small plans do not); other versions: text beside JSON too.
        explain "$q_opts" "$stage/plans/$name.json" TEXT "$stage/plans/$name.txt"
    else
        explain "$q_opts" "$stage/plans/$name.json" TEXT "$stage/plans/$name.txt" \
            YAML "$stage/plans/$name.yaml" XML "$stage/plans/$name.xml"
    fi
    explain "$q_aopts" "$stage/plans/$name.analyze.json" TEXT "$stage/plans/$name.analyze.txt"
    add_checks "$stage/plans/$name.json" "$name.json" "${q_expect[@]}"
    add_checks "$stage/plans/$name.analyze.json" "$name.analyze.json" "${q_expect[@]}" "${q_expect_analyze[@]}"
}

# Validate every query file first; capture those of the main database now and those of the
# events database once it is loaded (below).
names=() main_files=() events_files=()
for f in "${query_files[@]}"; do
    name=$(basename "$f" .sql)
    [[ $name =~ ^[a-z0-9_]+$ ]] || die "$f: fixture names are [a-z0-9_]+"
    parse_query_file "$f"
    if [[ -n $q_versions ]]; then
        for_version "$q_versions" || {
            [[ $? -eq 1 ]] || die "$f: bad versions: $q_versions"
            log "skipping $name: captured on PostgreSQL $q_versions only"
            continue
        }
    fi
    names+=("$name")
    if [[ $q_db == events ]]; then events_files+=("$f"); else main_files+=("$f"); fi
done
for f in "${main_files[@]}"; do capture "$f"; done

if [[ -z $version_dir ]]; then

# psql paste variants (tests/fixtures/paste/): plans of the fixture queries as psql prints them in
# its many layouts, as people copy them from a terminal or a GUI. Every file is written by
# paste_variant or paste_row, which also add its row to the generated README, so the README
# documents exactly the files written (checked below).
log "capturing paste variants"
p=$stage/paste
readme=$p/README.md
# paste_source FIXTURE — the query whose plan the next variants show (sets paste_stmt).
paste_source() {
    parse_query_file "$queries_dir/$1.sql"
    [[ $q_db == postgres && ${#q_setup[@]} -eq 0 ]] \
        || die "$1: paste variants need a query on database postgres without setup statements"
    paste_stmt=$q_stmt
}
# paste_section TITLE TEXT — a README section: heading, text, then the head of its table.
paste_section() {
    printf '\n## %s\n\n%s\n\n| file | psql command | what it shows |\n|------|--------------|---------------|\n' \
        "$1" "$2" >>"$readme"
}
# paste_row FILE COMMAND DESCRIPTION — a README row (COMMAND is shown as code).
paste_row() {
    [[ -s $p/$1 ]] || die "paste/$1 was not written"
    printf '| `%s` | `%s` | %s |\n' "$1" "$2" "$3" >>"$readme"
}
# paste_variant FILE PSQL-OPTIONS EXPLAIN-OPTIONS TIMES DESCRIPTION — one psql run,
# `psql -X PSQL-OPTIONS -c "EXPLAIN (EXPLAIN-OPTIONS) <paste_stmt>"` with that -c given TIMES
# times (one run printing TIMES results), into paste/FILE; plus its README row. PSQL-OPTIONS are
# word-split. The client encoding is pinned (UTF8) so that widths never depend on the locale.
paste_variant() {
    local file=$1 opts=$2 explain_opts=$3 times=$4 desc=$5 sql shown i
    local -a args=()
    read -r -a args <<<"$opts"
    sql="EXPLAIN${explain_opts:+ ($explain_opts)}"
    shown="psql -X${opts:+ $opts}"
    for ((i = 0; i < times; i++)); do
        args+=(-c "$sql $paste_stmt")
        shown+=" -c \"$sql ...\""
    done
    PGCLIENTENCODING=UTF8 "${psql[@]}" "${args[@]}" >"$p/$file"
    paste_row "$file" "$shown" "$desc"
}

cat >"$readme" <<'EOF'
# psql paste variants (generated)

Written by `scripts/capture-fixtures.sh`; do not edit. Each file is what psql printed, byte for
byte (trailing spaces and final blank lines included), for the plain `EXPLAIN` of a fixture query
(`scripts/fixtures-queries/NAME.sql`, copied to `tests/fixtures/plans/NAME.sql`); its
`FORMAT JSON` plan is `tests/fixtures/plans/NAME.json`, which every JSON variant must load as.
`...` in a command stands for the fixture's query. psql runs with `-X` (no psqlrc) and
`PGCLIENTENCODING=UTF8`, with output to a file (no pager).
EOF

paste_source orders_by_customer_all_partitions
paste_section "orders_by_customer.* (and two_plans.tuples_only.txt)" \
    "The Gather over a Parallel Append of 8 Parallel Seq Scans of \`orders_by_customer_all_partitions\`: a realistic plan of some size, in the common layouts (read by \`tests/cli.rs\` and \`tests/source_unwrap.rs\`)."
paste_variant orders_by_customer.aligned.txt "" "FORMAT JSON" 1 \
    "default aligned output: \`QUERY PLAN\` header, dashed rule, \`+\` continuation marks, \`(1 row)\` footer"
paste_variant orders_by_customer.unaligned.txt "-A" "FORMAT JSON" 1 "unaligned, with header and footer"
paste_variant orders_by_customer.tuples_only.txt "-At" "FORMAT JSON" 1 "the bare JSON"
paste_variant orders_by_customer.expanded.txt "-x" "FORMAT JSON" 1 \
    "expanded: \`-[ RECORD 1 ]\` and \`QUERY PLAN \\| ...\`"
paste_variant orders_by_customer.csv "--csv" "FORMAT JSON" 1 "CSV-quoted, like pgAdmin/DBeaver copies"
paste_variant orders_by_customer.text_format.txt "" "" 1 "text format, default aligned output"
add_checks "$p/orders_by_customer.tuples_only.txt" "paste/orders_by_customer.tuples_only.txt" \
    "plan->0->'Plan'->>'Node Type' = 'Gather'"
customer_stmt=$paste_stmt
parse_query_file "$queries_dir/orders_by_id_between_two_partitions.sql"
{
    PGCLIENTENCODING=UTF8 "${psql[@]}" -At -c "EXPLAIN (FORMAT JSON) $customer_stmt"
    PGCLIENTENCODING=UTF8 "${psql[@]}" -At -c "EXPLAIN (FORMAT JSON) $q_stmt"
} >"$p/two_plans.tuples_only.txt"
paste_row two_plans.tuples_only.txt 'psql -X -At -c "EXPLAIN (FORMAT JSON) ..."' \
    "two such outputs concatenated: the plan above, then \`orders_by_id_between_two_partitions\`"

paste_source countries_by_name_tiny_seq_scan
paste_section "countries_by_name.*" \
    "The one-node plan (a Seq Scan with a Filter) of \`countries_by_name_tiny_seq_scan\` in every psql layout: border 0, 1 and 2, ASCII and unicode line styles, tuples only, unaligned, expanded, CSV, and the other EXPLAIN formats. Small, so that \`tests/source_unwrap.rs\` can cut and edit each at every character."
paste_variant countries_by_name.aligned.txt "" "FORMAT JSON" 1 \
    "default aligned output (border 1): centred \`QUERY PLAN\` header, dashed rule, \`+\` continuation marks, \`(1 row)\` footer, blank line"
paste_variant countries_by_name.aligned_border0.txt "-P border=0" "FORMAT JSON" 1 \
    "aligned, border 0: no margin before the JSON"
paste_variant countries_by_name.aligned_border2.txt "-P border=2" "FORMAT JSON" 1 \
    "aligned, border 2: \`+---+\` rules and \`\\| ... \\|\` frame"
paste_variant countries_by_name.aligned_unicode.txt "-P linestyle=unicode" "FORMAT JSON" 1 \
    "aligned, unicode line style: \`─\` rule, \`↵\` continuation marks"
paste_variant countries_by_name.aligned_unicode_border2.txt "-P linestyle=unicode -P border=2" "FORMAT JSON" 1 \
    "aligned, unicode, border 2: box-drawing frame (\`┌─┐\`, \`│\`, \`├─┤\`, \`└─┘\`)"
paste_variant countries_by_name.aligned_tuples_only.txt "-t" "FORMAT JSON" 1 \
    "aligned tuples only: \`+\` marks and margin, no header or footer"
paste_variant countries_by_name.unaligned.txt "-A" "FORMAT JSON" 1 \
    "unaligned: the JSON between \`QUERY PLAN\` and \`(1 row)\`"
paste_variant countries_by_name.twice.tuples_only.txt "-At" "FORMAT JSON" 2 \
    "the bare JSON twice, back to back (two results of one psql run)"
paste_variant countries_by_name.expanded.txt "-x" "FORMAT JSON" 1 \
    "expanded (border 1): \`-[ RECORD 1 ]---\` header, \`QUERY PLAN \\| \` and \`           \\| \` prefixes"
paste_variant countries_by_name.expanded_border0.txt "-x -P border=0" "FORMAT JSON" 1 \
    "expanded, border 0: \`* Record 1\` header, \`QUERY PLAN \` prefix, no separator"
paste_variant countries_by_name.expanded_border2.txt "-x -P border=2" "FORMAT JSON" 1 \
    "expanded, border 2: \`+-[ RECORD 1 ]---+\` and \`\\| QUERY PLAN \\| ... \\|\` frame"
paste_variant countries_by_name.expanded_unicode_border2.txt "-x -P linestyle=unicode -P border=2" "FORMAT JSON" 1 \
    "expanded, unicode, border 2: \`┌─[ RECORD 1 ]─┐\` and \`│ QUERY PLAN │ ... ↵│\`"
paste_variant countries_by_name.expanded_unaligned.txt "-x -A" "FORMAT JSON" 1 \
    "expanded unaligned: \`QUERY PLAN\\|[\` then the JSON"
paste_variant countries_by_name.expanded_tuples_only.txt "-x -t" "FORMAT JSON" 1 \
    "expanded tuples only: \`QUERY PLAN \\| \` prefixes, no record header"
paste_variant countries_by_name.csv "--csv" "FORMAT JSON" 1 \
    "CSV: \`QUERY PLAN\` header, then the plan as one quoted cell with its quotes doubled"
paste_variant countries_by_name.expanded.csv "-x --csv" "FORMAT JSON" 1 \
    "expanded CSV: \`QUERY PLAN,\"[\` then the quoted cell"
paste_variant countries_by_name.text_format_costs_off.txt "" "COSTS OFF" 1 \
    "text format without costs: only the node name shows it is a plan"
paste_variant countries_by_name.yaml_format.txt "" "FORMAT YAML" 1 "YAML format, aligned (\`+\` continuation marks)"
paste_variant countries_by_name.xml_format.txt "" "FORMAT XML" 1 "XML format, aligned (\`+\` continuation marks)"
paste_variant countries_by_name.aligned_unicode_double_border0.txt \
    "-P linestyle=unicode -P unicode_border_linestyle=double -P border=0" "FORMAT JSON" 1 \
    "unicode, double border lines, border 0"
paste_variant countries_by_name.aligned_unicode_double_border1.txt \
    "-P linestyle=unicode -P unicode_border_linestyle=double -P unicode_column_linestyle=double -P unicode_header_linestyle=double" \
    "FORMAT JSON" 1 "unicode, all lines double, border 1 (\`═\` rule)"
paste_variant countries_by_name.aligned_unicode_double_border2.txt \
    "-P linestyle=unicode -P unicode_border_linestyle=double -P border=2" "FORMAT JSON" 1 \
    "unicode, double border, single header rule, border 2 (\`╔═╗\`, \`║\`, \`╟─╢\`)"
paste_variant countries_by_name.aligned_unicode_double_header_border2.txt \
    "-P linestyle=unicode -P unicode_header_linestyle=double -P border=2" "FORMAT JSON" 1 \
    "unicode, single border, double header rule, border 2 (\`╞═╡\`)"
paste_variant countries_by_name.aligned_unicode_all_double_border2.txt \
    "-P linestyle=unicode -P unicode_border_linestyle=double -P unicode_column_linestyle=double -P unicode_header_linestyle=double -P border=2" \
    "FORMAT JSON" 1 "unicode, all lines double, border 2 (\`╠═╣\`)"
for border in 0 1 2; do
    paste_variant "countries_by_name.aligned_old_ascii_border$border.txt" \
        "-P linestyle=old-ascii -P border=$border" "FORMAT JSON" 1 \
        "old-ascii line style, border $border: no continuation marks, only padding"
done
for format in YAML XML; do
    lower=$(tr '[:upper:]' '[:lower:]' <<<"$format")
    paste_variant "countries_by_name.${lower}_unicode_double_border2.txt" \
        "-P linestyle=unicode -P unicode_border_linestyle=double -P border=2" "FORMAT $format" 1 \
        "$format format, unicode with double border, border 2"
    paste_variant "countries_by_name.${lower}_wrapped.txt" "-P format=wrapped -P columns=28" "FORMAT $format" 1 \
        "$format format, wrapped at 28 columns"
    paste_variant "countries_by_name.${lower}_expanded.txt" "-x" "FORMAT $format" 1 "$format format, expanded"
    paste_variant "countries_by_name.${lower}_unaligned.txt" "-A" "FORMAT $format" 1 "$format format, unaligned"
    paste_variant "countries_by_name.${lower}.csv" "--csv" "FORMAT $format" 1 "$format format, CSV"
done
paste_variant countries_by_name.wrapped_border1.txt "-P format=wrapped -P columns=28" "FORMAT JSON" 1 \
    "wrapped at 28 columns (\`.\` marks where psql broke a line)"
paste_variant countries_by_name.wrapped_unicode_double_border2.txt \
    "-P format=wrapped -P columns=28 -P linestyle=unicode -P unicode_border_linestyle=double -P border=2" \
    "FORMAT JSON" 1 "wrapped at 28 columns, unicode with double border (\`…\` marks)"
paste_variant countries_by_name.expanded_unicode_double_border2.txt \
    "-x -P linestyle=unicode -P unicode_border_linestyle=double -P border=2" "FORMAT JSON" 1 \
    "expanded, unicode, double border, border 2"

# Text-format framings: the plain EXPLAIN (deterministic) of the customer query in every way psql
# (and the tools around it) frames it; each must read as the same plan as the bare text.
paste_source orders_by_customer_all_partitions
paste_section "orders_by_customer.text.*" \
    "The text-format plain \`EXPLAIN\` of \`orders_by_customer_all_partitions\` (a Gather over a Parallel Append of 8 Parallel Seq Scans) in every psql framing: borders 0, 1 and 2 in the ascii, old-ascii and unicode line styles (single and double lines), \`\\pset format wrapped\` at 60 columns, expanded records, unaligned, CSV, echoed statements, and copies as GUIs and mail clients make them. Each must read as the same plan as \`orders_by_customer.text.bare.txt\` (read by \`tests/text_plans.rs\`)."
text_variant() {   # text_variant NAME PSQL-OPTIONS DESCRIPTION
    paste_variant "orders_by_customer.text.$1.txt" "$2" "" 1 "$3"
}
text_variant bare "-At" "the bare text (\`-At\`): what the others must read as"
text_variant aligned "" "default aligned output: header, rule, \`(N rows)\` footer"
text_variant aligned_border0 "-P border=0" "aligned, border 0"
text_variant aligned_border2 "-P border=2" "aligned, border 2"
for border in 0 1 2; do
    text_variant "old_ascii_border$border" "-P linestyle=old-ascii -P border=$border" "old-ascii line style, border $border"
    text_variant "unicode_border$border" "-P linestyle=unicode -P border=$border" "unicode line style, border $border"
    text_variant "unicode_double_border$border" \
        "-P linestyle=unicode -P unicode_border_linestyle=double -P unicode_column_linestyle=double -P unicode_header_linestyle=double -P border=$border" \
        "unicode, all lines double, border $border"
    text_variant "wrapped_border$border" "-P format=wrapped -P columns=60 -P border=$border" \
        "wrapped at 60 columns, ascii (\`.\` marks), border $border"
    text_variant "wrapped_old_ascii_border$border" "-P format=wrapped -P columns=60 -P linestyle=old-ascii -P border=$border" \
        "wrapped at 60 columns, old-ascii (space marks), border $border"
    text_variant "wrapped_unicode_border$border" "-P format=wrapped -P columns=60 -P linestyle=unicode -P border=$border" \
        "wrapped at 60 columns, unicode (\`…\` marks), border $border"
    text_variant "expanded_border$border" "-x -P border=$border" "expanded: one record per plan line, border $border"
done
text_variant unicode_double_border_single_columns "-P linestyle=unicode -P unicode_border_linestyle=double -P border=2" \
    "unicode, double border with single header rule, border 2"
text_variant unicode_double_header "-P linestyle=unicode -P unicode_header_linestyle=double -P border=2" \
    "unicode, double header rule only, border 2"
text_variant wrapped_unicode_double_border2 \
    "-P format=wrapped -P columns=60 -P linestyle=unicode -P unicode_border_linestyle=double -P border=2" \
    "wrapped at 60 columns, unicode with double border, border 2"
text_variant expanded_unicode_double_border2 "-x -P linestyle=unicode -P unicode_border_linestyle=double -P border=2" \
    "expanded, unicode with double border, border 2"
text_variant tuples_only "-t" "aligned tuples only: margin, no header or footer"
text_variant unaligned "-A" "unaligned: header and footer"
text_variant expanded_unaligned "-x -A" "expanded unaligned: \`QUERY PLAN|...\` per line"
text_variant csv "--csv" "CSV: lines with a comma or quote are quoted"
text_variant expanded_csv "-x --csv" "expanded CSV: \`QUERY PLAN,...\` per line"
text_variant echoed "-e" "the statement echoed above the result (\`psql -e\`), as when a session is pasted"
# Generated from captured output: CRLF line ends (a paste from Windows), lines folded at 72
# columns at spaces (a mail client), every line quoted (pgAdmin's and DBeaver's copies).
sed 's/$/\r/' "$p/orders_by_customer.text.aligned.txt" >"$p/orders_by_customer.text.crlf.txt"
paste_row orders_by_customer.text.crlf.txt 'psql -X -c "EXPLAIN ..." | sed "s/$/\\r/"' "aligned output with CRLF line ends"
fold -s -w 72 "$p/orders_by_customer.text.aligned.txt" >"$p/orders_by_customer.text.mail_folded.txt"
paste_row orders_by_customer.text.mail_folded.txt 'psql -X -c "EXPLAIN ..." | fold -s -w 72' \
    "aligned output folded at spaces to 72 columns, as a mail client wraps it"
{
    echo 'CREATE FUNCTION pg_temp.plan_lines(statement text) RETURNS SETOF text LANGUAGE plpgsql AS $f$'
    echo '    DECLARE line text;'
    echo "    BEGIN FOR line IN EXECUTE 'EXPLAIN ' || statement LOOP RETURN NEXT line; END LOOP; END"
    echo '$f$;'
    echo '\set statement '"'$(sed "s/'/''/g" <<<"$paste_stmt")'"
    echo "COPY (SELECT * FROM pg_temp.plan_lines(:'statement')) TO STDOUT WITH (FORMAT csv, HEADER, FORCE_QUOTE *);"
} >"$stage/gui_quoted.sql"
"${psql[@]}" -q -f "$stage/gui_quoted.sql" | sed 's/^"plan_lines"$/"QUERY PLAN"/' \
    >"$p/orders_by_customer.text.gui_quoted.txt"
rm -f "$stage/gui_quoted.sql"
paste_row orders_by_customer.text.gui_quoted.txt 'COPY (...EXPLAIN lines...) TO STDOUT (FORMAT csv, HEADER, FORCE_QUOTE *)' \
    "every line double-quoted under a quoted header, as pgAdmin and DBeaver copy a result"
# The seed story: the text EXPLAIN ANALYZE a user runs in psql and pastes, statement included.
parse_query_file "$queries_dir/orders_by_customer_all_partitions.sql"
paste_variant orders_by_customer.text.analyze_echoed.txt "-e" "ANALYZE, BUFFERS" 1 \
    "EXPLAIN ANALYZE in text as psql shows it, the statement echoed above: the story planlint exists for"

paste_source products_join_customers_quoted_filter
paste_section "products_join_customers.*" \
    "The Nested Loop (Seq Scan on products, Index Scan on customers) of \`products_join_customers_quoted_filter\`, whose Filter \`(name = 'a\"b\\c'::text)\` holds a double quote and a backslash: JSON escapes them, aligned output keeps the escapes, CSV doubles the quotes."
paste_variant products_join_customers.aligned.txt "" "FORMAT JSON" 1 "default aligned output"
paste_variant products_join_customers.aligned_twice.txt "" "FORMAT JSON" 2 \
    "two aligned results of one psql run, each with header, footer and blank line"
paste_variant products_join_customers.expanded.txt "-x" "FORMAT JSON" 1 "expanded"
paste_variant products_join_customers.csv "--csv" "FORMAT JSON" 1 \
    "CSV: the Filter's \`\\\"\` becomes \`\\\"\"\`"
paste_variant products_join_customers.text_format_analyze.txt "" "ANALYZE, TIMING OFF, SUMMARY OFF" 1 \
    "text-format EXPLAIN ANALYZE: \`(actual rows=... loops=...)\`, \`(never executed)\`; no timings or summary, so it is the same on every run (refused, with the fix)"

# Every file is documented, and nothing else is.
for f in "$p"/*; do
    f=${f##*/}
    [[ $f == README.md ]] || grep -qF "| \`$f\` |" "$readme" || die "paste/$f is not in paste/README.md"
done

fi   # [[ -z $version_dir ]]: the paste variants

log "capturing the catalog snapshot"
"${psql[@]}" -At -f "$here/catalog-snapshot.sql" >"$stage/catalog.json"
add_checks "$stage/catalog.json" "catalog.json" \
    "(plan->>'planlint_catalog')::int = 1" \
    "(SELECT count(*) FROM jsonb_array_elements(plan->'relations') r WHERE r->>'parent' = 'public.orders') = 8" \
    "(SELECT count(*) FROM jsonb_array_elements(plan->'relations') r WHERE r->>'parent' IN ('public.sales_2023', 'public.sales_2024')) = 6"

if [[ -z $version_dir ]]; then
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
# The README's first example: the text EXPLAIN ANALYZE of the customer query as psql shows it.
cp "$p/orders_by_customer.text.analyze_echoed.txt" "$stage/examples/orders-by-customer.txt"
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

fi   # [[ -z $version_dir ]]: examples and the events database

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
    "$stage/catalog-events.json" -type f -print0 2>/dev/null)

# Install into the output root ($out_root: the repository unless PLANLINT_CAPTURE_OUT is set):
# replace the generated directories wholesale, so that stale fixtures disappear.
rm -f "$check_sql"
if [[ -n $version_dir ]]; then
    # Another version: its own folder, replaced wholesale; nothing else is touched.
    cp "$stage/catalog.json" "$stage/plans/catalog.json"
    mkdir -p "$out_root/tests/fixtures/plans"
    rm -rf -- "${out_root:?}/tests/fixtures/$version_dir"
    cp -R "$stage/plans" "$out_root/tests/fixtures/$version_dir"
    chmod -R u+rwX,go+rX "$out_root/tests/fixtures/$version_dir"
    log "wrote ${#main_files[@]} fixtures (x2 plans) and a catalog of PostgreSQL $major to" \
        "$out_root/tests/fixtures/$version_dir in $((SECONDS - start_time)) s"
    exit 0
fi
mkdir -p "$out_root/tests/fixtures" "$out_root/examples"
# The plans folder's own files only: the other versions' folders in it stay.
mkdir -p "$out_root/tests/fixtures/plans"
find "$out_root/tests/fixtures/plans" -maxdepth 1 -type f -delete
rm -rf -- "$out_root/tests/fixtures/paste"
cp -R "$stage/plans/." "$out_root/tests/fixtures/plans/"
cp -R "$stage/paste" "$out_root/tests/fixtures/paste"
cp "$stage/catalog.json" "$stage/catalog-events.json" "$out_root/tests/fixtures/"
cp "$stage/examples/"* "$out_root/examples/"
chmod -R u+rwX,go+rX "$out_root/tests/fixtures/plans" "$out_root/tests/fixtures/paste" \
    "$out_root/examples" "$out_root/tests/fixtures/catalog.json" \
    "$out_root/tests/fixtures/catalog-events.json"

log "wrote ${#names[@]} fixtures (x2 plans), paste variants, catalogs and examples to $out_root" \
    "in $((SECONDS - start_time)) s"
