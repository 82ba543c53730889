-- A truncated day compared with 10:00: date_trunc('day', ...) is always at midnight, so no row
-- matches, and the function on the key keeps every partition in the plan as well. A range on
-- the bare key would return the whole day: a different result, so no rewrite is offered.
-- expect: (SELECT count(*) FROM pg_temp.nodes(plan) n WHERE n->>'Relation Name' LIKE 'measurements\_%') = 13
-- expect-analyze: (plan->0->'Plan'->>'Actual Rows')::numeric = 0
SELECT * FROM measurements WHERE date_trunc('day', created_at) = '2024-03-05 10:00';
