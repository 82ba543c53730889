-- Pruning cause: the key compared with a scalar subquery. The subquery becomes an InitPlan ($0),
-- unknown at plan time and at executor start-up, so the plan keeps all 8 partitions
-- ("Subplans Removed": 0); run-time pruning then uses $0 (400000): under ANALYZE, orders_p1 ..
-- orders_p7 show "Actual Loops": 0 ("never executed") and only orders_p8 runs.
-- expect: plan->0->'Plan'->>'Node Type' = 'Append' AND (plan->0->'Plan'->>'Subplans Removed')::int = 0
-- expect: (SELECT count(*) FROM pg_temp.nodes(plan) n WHERE n->>'Relation Name' LIKE 'orders\_p_' AND n->>'Index Cond' = '(order_id = $0)') = 8
-- expect: EXISTS (SELECT FROM pg_temp.nodes(plan) n WHERE n->>'Parent Relationship' = 'InitPlan' AND n->>'Subplan Name' LIKE 'InitPlan 1%')
-- expect-analyze: (SELECT count(*) FROM pg_temp.nodes(plan) n WHERE n->>'Relation Name' LIKE 'orders\_p_' AND (n->>'Actual Loops')::int = 0) = 7
-- expect-analyze: EXISTS (SELECT FROM pg_temp.nodes(plan) n WHERE n->>'Relation Name' = 'orders_p8' AND (n->>'Actual Loops')::int = 1 AND (n->>'Actual Rows')::int = 1)
SELECT * FROM orders WHERE order_id = (SELECT max(last_order_id) FROM customers);
