-- The bare key compared with a constant, but enable_partition_pruning = off: every partition
-- of sales is read with a sequential scan. The fix is the setting, not an index on the key,
-- which the query would not need once it prunes to one partition.
-- explain: SETTINGS, FORMAT JSON
-- explain-analyze: ANALYZE, BUFFERS, SETTINGS, FORMAT JSON
-- expect: plan->0->'Settings'->>'enable_partition_pruning' = 'off'
-- expect: (SELECT count(*) FROM pg_temp.nodes(plan) n WHERE n->>'Node Type' = 'Seq Scan') = 6
SET enable_partition_pruning = off;
SELECT * FROM sales WHERE sold_at = '2024-03-05';
