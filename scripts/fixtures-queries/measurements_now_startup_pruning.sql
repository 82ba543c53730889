-- created_at >= now() - interval '30 days': now() is stable, not immutable, so nothing is
-- pruned at plan time and executor start-up pruning removes the 12 monthly partitions of 2024
-- (the capture runs after 2024), leaving only the DEFAULT partition: "Subplans Removed": 12.
-- expect: plan->0->'Plan'->>'Node Type' = 'Append' AND (plan->0->'Plan'->>'Subplans Removed')::int = 12
-- expect: jsonb_array_length(plan->0->'Plan'->'Plans') = 1 AND plan->0->'Plan'->'Plans'->0->>'Relation Name' = 'measurements_default'
SELECT * FROM measurements WHERE created_at >= now() - interval '30 days';
