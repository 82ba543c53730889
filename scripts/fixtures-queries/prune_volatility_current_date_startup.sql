-- Pruning cause: a stable, not immutable, value (current_date; also a timestamptz-vs-date
-- comparison). Plan time prunes nothing; executor start-up pruning removes the 12 monthly
-- partitions of 2024 (the capture runs after 2024): "Subplans Removed": 12, visible without
-- ANALYZE, and only the DEFAULT partition remains (an open range never excludes it).
-- expect: plan->0->'Plan'->>'Node Type' = 'Append' AND (plan->0->'Plan'->>'Subplans Removed')::int = 12
-- expect: jsonb_array_length(plan->0->'Plan'->'Plans') = 1 AND plan->0->'Plan'->'Plans'->0->>'Relation Name' = 'measurements_default'
-- expect: plan->0->'Plan'->'Plans'->0->>'Index Cond' = '(created_at >= CURRENT_DATE)'
SELECT * FROM measurements WHERE created_at >= current_date;
