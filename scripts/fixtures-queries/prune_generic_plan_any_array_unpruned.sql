-- Pruning cause: a generic plan with = ANY($1) over one array parameter (what many drivers send
-- for a list of ids). PostgreSQL 15 prunes on it in no phase: the plan keeps all 8 partitions
-- with "Subplans Removed": 0, and under ANALYZE each is executed (loops 1) though both ids live
-- in orders_p1. Compare prune_generic_plan_in_params_startup.
-- expect: plan->0->'Plan'->>'Node Type' = 'Append' AND (plan->0->'Plan'->>'Subplans Removed')::int = 0 AND jsonb_array_length(plan->0->'Plan'->'Plans') = 8
-- expect: (SELECT count(*) FROM pg_temp.nodes(plan) n WHERE n->>'Relation Name' LIKE 'orders\_p_' AND n->>'Index Cond' = '(order_id = ANY ($1))') = 8
-- expect-analyze: (SELECT count(*) FROM pg_temp.nodes(plan) n WHERE n->>'Relation Name' LIKE 'orders\_p_' AND (n->>'Actual Loops')::int = 1) = 8
-- expect-analyze: (plan->0->'Plan'->>'Actual Rows')::numeric = 2
PREPARE p(bigint[]) AS SELECT * FROM orders WHERE order_id = ANY($1);
SET plan_cache_mode = force_generic_plan;
EXECUTE p('{123,456}');
