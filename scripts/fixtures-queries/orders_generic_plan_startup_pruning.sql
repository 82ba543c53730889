-- A prepared statement forced onto its generic plan: order_id = $1 cannot prune at plan time,
-- so executor start-up pruning does it: the Append shows "Subplans Removed": 7 and only the
-- surviving partition (orders_p1, for 123) — visible even without ANALYZE.
-- expect: plan->0->'Plan'->>'Node Type' = 'Append' AND (plan->0->'Plan'->>'Subplans Removed')::int = 7
-- expect: jsonb_array_length(plan->0->'Plan'->'Plans') = 1 AND plan->0->'Plan'->'Plans'->0->>'Relation Name' = 'orders_p1'
PREPARE orders_by_id(bigint) AS SELECT * FROM orders WHERE order_id = $1;
SET plan_cache_mode = force_generic_plan;
EXECUTE orders_by_id(123);
