-- Pruning cause (contrast): a generic plan with IN ($1, $2), one bigint parameter per value.
-- Plan time cannot prune, executor start-up pruning can: "Subplans Removed": 7 (visible without
-- ANALYZE) and only orders_p1, which holds both 123 and 456, remains. Compare
-- prune_generic_plan_any_array_unpruned (the same ids as one array parameter: no pruning).
-- expect: plan->0->'Plan'->>'Node Type' = 'Append' AND (plan->0->'Plan'->>'Subplans Removed')::int = 7
-- expect: jsonb_array_length(plan->0->'Plan'->'Plans') = 1 AND plan->0->'Plan'->'Plans'->0->>'Relation Name' = 'orders_p1'
-- expect: plan->0->'Plan'->'Plans'->0->>'Index Cond' = '(order_id = ANY (ARRAY[$1, $2]))'
PREPARE r(bigint, bigint) AS SELECT * FROM orders WHERE order_id IN ($1, $2);
SET plan_cache_mode = force_generic_plan;
EXECUTE r(123, 456);
