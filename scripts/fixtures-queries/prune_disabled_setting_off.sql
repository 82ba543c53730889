-- Pruning cause: enable_partition_pruning = off disables all three phases. order_id = 123 would
-- prune to orders_p1 at plan time; here all 8 primary-key Index Scans run ("Subplans Removed":
-- 0; under ANALYZE every partition is executed once), and "Settings" shows the culprit.
-- explain: SETTINGS, FORMAT JSON
-- explain-analyze: ANALYZE, BUFFERS, SETTINGS, FORMAT JSON
-- expect: plan->0->'Settings'->>'enable_partition_pruning' = 'off'
-- expect: plan->0->'Plan'->>'Node Type' = 'Append' AND (plan->0->'Plan'->>'Subplans Removed')::int = 0 AND jsonb_array_length(plan->0->'Plan'->'Plans') = 8
-- expect: (SELECT count(*) FROM pg_temp.nodes(plan) n WHERE n->>'Node Type' = 'Index Scan' AND n->>'Relation Name' LIKE 'orders\_p_' AND n->>'Index Cond' = '(order_id = 123)') = 8
-- expect-analyze: (SELECT count(*) FROM pg_temp.nodes(plan) n WHERE n->>'Relation Name' LIKE 'orders\_p_' AND (n->>'Actual Loops')::int = 1) = 8
SET enable_partition_pruning = off;
SELECT * FROM orders WHERE order_id = 123;
