-- A bare range on the timestamptz key, from 10 March to 10 April: plan-time pruning keeps
-- measurements_2024_03 and measurements_2024_04 (the DEFAULT partition is pruned too).
-- expect: plan->0->'Plan'->>'Node Type' = 'Append'
-- expect: (SELECT array_agg(n->>'Relation Name' ORDER BY n->>'Relation Name') FROM pg_temp.nodes(plan) n WHERE n ? 'Relation Name') = ARRAY['measurements_2024_03', 'measurements_2024_04']
SELECT * FROM measurements
WHERE created_at >= '2024-03-10' AND created_at < '2024-04-10';
