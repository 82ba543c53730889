-- A HashAggregate over far more groups (100,000 customers) than work_mem holds: PostgreSQL 13
-- and later plan it in partitions and spill it to disk in batches ("Planned Partitions",
-- "HashAgg Batches", "Disk Usage"; in text "Batches: N  Memory Usage: ...  Disk Usage: ...").
-- 12 never plans a hash table larger than work_mem: it sorts, although sorting is disabled.
-- The rules read the scans below the aggregate, not the aggregate.
-- expect(13+): EXISTS (SELECT FROM pg_temp.nodes(plan) n WHERE n->>'Node Type' = 'Aggregate' AND n->>'Strategy' = 'Hashed')
-- expect(12): EXISTS (SELECT FROM pg_temp.nodes(plan) n WHERE n->>'Node Type' = 'Aggregate' AND n->>'Strategy' = 'Sorted')
-- expect(13+): EXISTS (SELECT FROM pg_temp.nodes(plan) n WHERE n->>'Strategy' = 'Hashed' AND (n->>'Planned Partitions')::int > 0)
-- expect-analyze(13+): EXISTS (SELECT FROM pg_temp.nodes(plan) n WHERE n->>'Strategy' = 'Hashed' AND (n->>'HashAgg Batches')::int > 1 AND (n->>'Disk Usage')::int > 0)
SET work_mem = '64kB';
SET enable_sort = off;
SELECT customer_id, count(*) FROM orders GROUP BY customer_id;
