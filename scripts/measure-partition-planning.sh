#!/usr/bin/env bash
# How planning and execution time grow with the partition count, for the query shape that
# unpruned-partitions reports at `info` below its `cheap_probe_max_partitions` threshold: a
# lookup by an indexed column that is not the partition key, so every partition is probed
# through its index. Starts a throwaway PostgreSQL 15 (scripts/pg-temp.sh), and for each
# partition count builds a hash-partitioned table of 200,000 rows with an index on the looked-up
# column, then prints the median Planning Time and Execution Time of three EXPLAIN ANALYZE runs
# in a warm session.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/pg-temp.sh
source "$here/pg-temp.sh"
trap pg_temp_stop EXIT
pg_temp_start
psql() { "$PLANLINT_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
for n in ${PLANLINT_PARTITION_COUNTS:-8 16 32 64 128 256 512 1024 2048}; do
    psql -c "DROP TABLE IF EXISTS probe" \
        -c "CREATE TABLE probe (id bigint, customer_id int, payload text) PARTITION BY HASH (id)" >/dev/null
    psql -At -c "SELECT format('CREATE TABLE probe_%s PARTITION OF probe FOR VALUES WITH (MODULUS $n, REMAINDER %s);', g, g)
                 FROM generate_series(0, $n - 1) g" | psql >/dev/null
    psql -c "INSERT INTO probe SELECT g, g % 50000, 'x' FROM generate_series(1, 200000) g" \
        -c "CREATE INDEX ON probe (customer_id)" -c "ANALYZE probe" >/dev/null
    psql -At <<'SQL' | python3 -c "
import json, re, sys
docs = [json.loads(m) for m in re.findall(r'^\[.*?^\]', sys.stdin.read(), re.S | re.M)]
median = lambda key: sorted(d[0][key] for d in docs)[len(docs) // 2]
print('partitions=%s planning_ms=%.3f execution_ms=%.3f' % ('$n', median('Planning Time'), median('Execution Time')))"
SELECT 1 FROM probe WHERE customer_id = 42 LIMIT 1;
EXPLAIN (ANALYZE, SUMMARY, FORMAT JSON) SELECT * FROM probe WHERE customer_id = 42;
EXPLAIN (ANALYZE, SUMMARY, FORMAT JSON) SELECT * FROM probe WHERE customer_id = 42;
EXPLAIN (ANALYZE, SUMMARY, FORMAT JSON) SELECT * FROM probe WHERE customer_id = 42;
SQL
done
