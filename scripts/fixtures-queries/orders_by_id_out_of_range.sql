-- order_id beyond every partition bound: plan-time pruning removes all partitions and the plan is
-- a lone Result with "One-Time Filter": "false".
-- expect: plan->0->'Plan'->>'Node Type' = 'Result' AND plan->0->'Plan'->>'One-Time Filter' = 'false'
-- expect: (SELECT count(*) FROM pg_temp.nodes(plan)) = 1
SELECT * FROM orders WHERE order_id = 999999999;
