-- Pruning cause: type mismatch with a stable cross-type operator. The key is timestamptz, the
-- literals are timestamp without time zone: timestamptz >= timestamp depends on the TimeZone
-- setting (stable, not immutable), so plan time prunes nothing and executor start-up pruning
-- removes 12 of the 13 partitions ("Subplans Removed": 12, visible without ANALYZE): only
-- measurements_2024_03 remains. Fix: timestamptz literals (or untyped ones), which prune at plan
-- time.
-- expect: plan->0->'Plan'->>'Node Type' = 'Append' AND (plan->0->'Plan'->>'Subplans Removed')::int = 12
-- expect: jsonb_array_length(plan->0->'Plan'->'Plans') = 1 AND plan->0->'Plan'->'Plans'->0->>'Relation Name' = 'measurements_2024_03'
-- expect: plan->0->'Plan'->'Plans'->0->>'Filter' LIKE '%''2024-03-01 00:00:00''::timestamp without time zone%'
SELECT * FROM measurements
WHERE created_at >= timestamp '2024-03-01' AND created_at < timestamp '2024-04-01';
