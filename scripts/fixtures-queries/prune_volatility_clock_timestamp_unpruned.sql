-- Pruning cause: a volatile value (clock_timestamp() changes during the scan). Volatile
-- expressions allow no pruning in any phase: all 13 partitions are in the plan with
-- "Subplans Removed": 0, and under ANALYZE every one of them is executed (loops 1) though none
-- returns a row. Compare prune_volatility_current_date_startup and
-- measurements_now_startup_pruning (stable: start-up pruning). Fix: now() or a literal.
-- expect: plan->0->'Plan'->>'Node Type' = 'Append' AND (plan->0->'Plan'->>'Subplans Removed')::int = 0 AND jsonb_array_length(plan->0->'Plan'->'Plans') = 13
-- expect: (SELECT count(*) FROM pg_temp.nodes(plan) n WHERE n->>'Relation Name' LIKE 'measurements\_%' AND n->>'Filter' LIKE '%clock_timestamp()%') = 13
-- expect-analyze: (SELECT count(*) FROM pg_temp.nodes(plan) n WHERE n->>'Relation Name' LIKE 'measurements\_%' AND (n->>'Actual Loops')::int = 1) = 13
-- expect-analyze: (plan->0->'Plan'->>'Actual Rows')::numeric = 0
SELECT * FROM measurements WHERE created_at >= clock_timestamp() - interval '1 day';
