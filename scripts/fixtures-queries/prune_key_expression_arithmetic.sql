-- Pruning cause: arithmetic on the partition key (order_id + 1 = 124): the planner does not solve
-- for the key, so all 8 orders partitions are scanned sequentially for one row. Fix: move the
-- arithmetic to the other side (order_id = 124 - 1).
-- expect: (SELECT count(*) FROM pg_temp.nodes(plan) n WHERE n->>'Node Type' LIKE '%Seq Scan' AND n->>'Relation Name' LIKE 'orders\_p_') = 8
-- expect: (SELECT count(*) FROM pg_temp.nodes(plan) n WHERE n->>'Filter' = '((order_id + 1) = 124)') = 8
-- expect: EXISTS (SELECT FROM pg_temp.nodes(plan) n WHERE n->>'Node Type' = 'Append' AND (n->>'Subplans Removed')::int = 0 AND jsonb_array_length(n->'Plans') = 8)
SELECT * FROM orders WHERE order_id + 1 = 124;
