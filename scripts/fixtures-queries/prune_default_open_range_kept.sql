-- Pruning cause: the DEFAULT partition stays when the explicit partitions do not cover the whole
-- predicate range. created_at >= '2024-12-15' is open-ended, and values from 2025 on would
-- belong to measurements_default, so plan-time pruning keeps measurements_2024_12 and the
-- DEFAULT partition. Fix: a closed range, or a partition for every period queried.
-- expect: plan->0->'Plan'->>'Node Type' = 'Append' AND (plan->0->'Plan'->>'Subplans Removed')::int = 0
-- expect: (SELECT array_agg(n->>'Relation Name' ORDER BY n->>'Relation Name') FROM pg_temp.nodes(plan) n WHERE n ? 'Relation Name') = ARRAY['measurements_2024_12', 'measurements_default']
SELECT * FROM measurements WHERE created_at >= '2024-12-15';
