-- A parameterized nested loop from 10 customers into orders on order_id = c.last_order_id:
-- the inner Append keeps all 8 partitions in the plan, and run-time pruning picks one per outer
-- row. Under ANALYZE, the 7 partitions no customer points to show "Actual Loops": 0
-- ("never executed" in text); orders_p1 shows 10 loops.
-- expect: (SELECT count(*) FROM pg_temp.nodes(plan) n WHERE n->>'Relation Name' LIKE 'orders\_p_') = 8
-- expect: plan->0->'Plan'->>'Node Type' = 'Nested Loop'
-- expect-analyze: (SELECT count(*) FROM pg_temp.nodes(plan) n WHERE n->>'Relation Name' LIKE 'orders\_p_' AND (n->>'Actual Loops')::int = 0) = 7
-- expect-analyze: EXISTS (SELECT FROM pg_temp.nodes(plan) n WHERE n->>'Relation Name' = 'orders_p1' AND (n->>'Actual Loops')::int = 10)
SELECT c.id, c.email, o.order_id, o.amount
FROM customers c
JOIN orders o ON o.order_id = c.last_order_id
WHERE c.id <= 10;
