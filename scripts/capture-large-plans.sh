#!/usr/bin/env bash
# Captures the large plans the benchmarks use from a throwaway PostgreSQL 15 (too large to
# commit): the 4,000-partition events table of scripts/fixtures-schema-events.sql, queried by
# a UNION ALL of 25 scans that cannot prune, which PostgreSQL flattens into one Append of
# 100,000 partition scans; plain and ANALYZE, each in JSON and text. Writes target/large-plans/.
#
#   scripts/capture-large-plans.sh        # a few minutes; `cargo bench` says when to run it
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=$here/../target/large-plans
mkdir -p "$out"

# shellcheck source=scripts/pg-temp.sh
source "$here/pg-temp.sh"
trap pg_temp_stop EXIT
pg_temp_start
psql=("$PLANLINT_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1)
"${psql[@]}" -f "$here/fixtures-schema-events.sql" >/dev/null

union=$(for i in $(seq 1 25); do
    [[ $i -gt 1 ]] && printf ' UNION ALL '
    printf "SELECT event_id, user_id FROM events WHERE kind = 'click' AND event_id > %d" "$i"
done)
# Each plan in JSON and, in the same session right after, in text: the benchmark compares the
# two readers on the same plan.
"${psql[@]}" -At -c "\\o $out/events_union_25.json" -c "EXPLAIN (FORMAT JSON) $union" \
    -c "\\o $out/events_union_25.txt" -c "EXPLAIN (FORMAT TEXT) $union"
"${psql[@]}" -At -c "\\o $out/events_union_25.analyze.json" -c "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) $union" \
    -c "\\o $out/events_union_25.analyze.txt" -c "EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) $union"
ls -l "$out" >&2
