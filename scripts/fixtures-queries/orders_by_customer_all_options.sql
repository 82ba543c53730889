-- The orders-by-customer query with every EXPLAIN option and two non-default settings, so that
-- "Settings" is present (work_mem, enable_partition_pruning) along with VERBOSE output
-- (Output, Schema, qualified names), WAL (13+: 12 has no such option) and BUFFERS counters. Pruning is off, which changes
-- nothing for this query (it has no predicate on the key) but is worth a warning.
-- explain: VERBOSE, SETTINGS, FORMAT JSON
-- explain-analyze: ANALYZE, BUFFERS, SETTINGS, VERBOSE, WAL, FORMAT JSON
-- explain-analyze(12): ANALYZE, BUFFERS, SETTINGS, VERBOSE, FORMAT JSON
-- 17 adds MEMORY (planner memory, under "Planning") and SERIALIZE (the result's output):
-- explain(17+): VERBOSE, SETTINGS, MEMORY, FORMAT JSON
-- explain-analyze(17+): ANALYZE, BUFFERS, SETTINGS, VERBOSE, WAL, SERIALIZE, MEMORY, FORMAT JSON
-- expect(17+): plan->0->'Planning' ? 'Memory Used'
-- expect-analyze(17+): plan->0->'Serialization' ? 'Output Volume'
-- expect: plan->0->'Settings'->>'work_mem' = '16MB' AND plan->0->'Settings'->>'enable_partition_pruning' = 'off'
-- expect: (SELECT count(*) FROM pg_temp.nodes(plan) n WHERE n->>'Relation Name' LIKE 'orders\_p_' AND n->>'Schema' = 'public' AND n ? 'Output') = 8
-- expect-analyze(13+): EXISTS (SELECT FROM pg_temp.nodes(plan) n WHERE n ? 'WAL Records' AND n ? 'Shared Hit Blocks')
-- expect-analyze(12): EXISTS (SELECT FROM pg_temp.nodes(plan) n WHERE n ? 'Shared Hit Blocks')
SET work_mem = '16MB';
SET enable_partition_pruning = off;
SELECT * FROM orders WHERE customer_id = 4242;
