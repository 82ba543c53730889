-- A range on order_id that spans the orders_p1/orders_p2 boundary: plan-time pruning keeps 2 of
-- 8 partitions; the Append stays visible ("Subplans Removed": 0 — plan-time pruning leaves no
-- count, only the catalog tells that 6 partitions are missing).
-- expect: plan->0->'Plan'->>'Node Type' = 'Append' AND (plan->0->'Plan'->>'Subplans Removed')::int = 0
-- expect: (SELECT array_agg(n->>'Relation Name' ORDER BY n->>'Relation Name') FROM pg_temp.nodes(plan) n WHERE n ? 'Relation Name') = ARRAY['orders_p1', 'orders_p2']
SELECT * FROM orders WHERE order_id BETWEEN 40000 AND 60000;
