-- Pruning cause: a hash join on the partition key (o.order_id = c.last_order_id). The 2,000
-- customers point only at orders 4 .. 8000, all in orders_p1, but a hash join passes no
-- parameters to its outer side: the Parallel Append reads all 8 partitions (no run-time pruning;
-- compare customers_orders_nested_loop_runtime_pruning, a nested loop on the same columns).
-- expect: EXISTS (SELECT FROM pg_temp.nodes(plan) n WHERE n->>'Node Type' = 'Hash Join' AND n->>'Hash Cond' = '(o.order_id = c.last_order_id)')
-- expect: (SELECT count(*) FROM pg_temp.nodes(plan) n WHERE n->>'Relation Name' LIKE 'orders\_p_') = 8
-- expect: EXISTS (SELECT FROM pg_temp.nodes(plan) n WHERE n->>'Node Type' = 'Append' AND (n->>'Subplans Removed')::int = 0 AND jsonb_array_length(n->'Plans') = 8)
-- expect-analyze: (SELECT count(*) FROM pg_temp.nodes(plan) n WHERE n->>'Relation Name' LIKE 'orders\_p_' AND (n->>'Actual Loops')::int >= 1) = 8
SELECT o.order_id, o.amount, c.email
FROM orders o
JOIN customers c ON o.order_id = c.last_order_id
WHERE c.id <= 2000;
