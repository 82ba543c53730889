-- Pruning cause: type mismatch with a stable cross-type operator. The key is timestamptz, the
-- literal a date: timestamptz >= date is stable (the date is midnight in the session's
-- TimeZone), so plan time prunes nothing and executor start-up pruning removes 11 of the 13
-- partitions ("Subplans Removed": 11, visible without ANALYZE). measurements_2024_12 and the
-- DEFAULT partition (an open range) remain.
-- expect: plan->0->'Plan'->>'Node Type' = 'Append' AND (plan->0->'Plan'->>'Subplans Removed')::int = 11
-- expect: (SELECT array_agg(n->>'Relation Name' ORDER BY n->>'Relation Name') FROM pg_temp.nodes(plan) n WHERE n ? 'Relation Name') = ARRAY['measurements_2024_12', 'measurements_default']
-- expect: EXISTS (SELECT FROM pg_temp.nodes(plan) n WHERE n->>'Relation Name' = 'measurements_2024_12' AND n->>'Filter' = '(created_at >= ''2024-12-15''::date)')
SELECT * FROM measurements WHERE created_at >= date '2024-12-15';
