-- The generic plan of a lookup by order_id, executed with NULL: no partition can hold
-- order_id = NULL, so executor start-up pruning removes all 8 and the Append is left with no
-- member to name its table by. planlint takes the table from the statement.
-- expect(13+): plan->0->'Plan'->>'Node Type' = 'Append' AND (plan->0->'Plan'->>'Subplans Removed')::int = 8
-- expect(13+): plan->0->'Plan'->'Plans' IS NULL OR jsonb_array_length(plan->0->'Plan'->'Plans') = 0
-- 12 keeps one member, never executed, as a placeholder when start-up pruning removes them all:
-- expect(12): plan->0->'Plan'->>'Node Type' = 'Append' AND (plan->0->'Plan'->>'Subplans Removed')::int = 7
-- expect(12): jsonb_array_length(plan->0->'Plan'->'Plans') = 1 AND plan->0->'Plan'->'Plans'->0->>'Relation Name' = 'orders_p1'
-- expect-analyze(12): (plan->0->'Plan'->'Plans'->0->>'Actual Loops')::int = 0
PREPARE orders_by_id(bigint) AS SELECT * FROM orders WHERE order_id = $1;
SET plan_cache_mode = force_generic_plan;
EXECUTE orders_by_id(NULL);
