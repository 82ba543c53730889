-- A hash join of orders with the EU customers: hash joins pass no parameters, so the orders side
-- reads all 8 partitions (no run-time pruning possible).
-- expect: plan->0->'Plan'->>'Node Type' = 'Hash Join'
-- expect: (SELECT count(*) FROM pg_temp.nodes(plan) n WHERE n->>'Relation Name' LIKE 'orders\_p_') = 8
SELECT o.order_id, o.amount, c.email
FROM orders o
JOIN customers c ON c.id = o.customer_id
WHERE c.region = 'eu' AND o.status = 'paid';
