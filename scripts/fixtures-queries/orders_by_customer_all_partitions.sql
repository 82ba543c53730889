-- orders is partitioned by order_id and queried by customer_id (no index on it): no predicate
-- on the partition key, so all 8 partitions are scanned (here by a Gather over a Parallel
-- Append of Parallel Seq Scans). The classic unpruned case.
-- expect: (SELECT count(*) FROM pg_temp.nodes(plan) n WHERE n->>'Node Type' LIKE '%Seq Scan' AND n->>'Relation Name' LIKE 'orders\_p_') = 8
-- expect: EXISTS (SELECT FROM pg_temp.nodes(plan) n WHERE n->>'Node Type' = 'Append' AND (n->>'Subplans Removed')::int = 0 AND jsonb_array_length(n->'Plans') = 8)
SELECT * FROM orders WHERE customer_id = 4242;
