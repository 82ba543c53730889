-- Pruning cause: NOT IN on a list key prunes only the listed partitions it names: region NOT IN
-- ('eu', 'us') removes accounts_by_region_eu and _us at plan time, but apac, latam and the
-- DEFAULT partition (every other value) stay; on a range or hash key NOT IN prunes nothing.
-- expect: plan->0->'Plan'->>'Node Type' = 'Append' AND (plan->0->'Plan'->>'Subplans Removed')::int = 0
-- expect: (SELECT array_agg(n->>'Relation Name' ORDER BY n->>'Relation Name') FROM pg_temp.nodes(plan) n WHERE n ? 'Relation Name') = ARRAY['accounts_by_region_apac', 'accounts_by_region_default', 'accounts_by_region_latam']
-- expect: plan->0->'Plan'->'Plans'->0->>'Filter' = '(region <> ALL (''{eu,us}''::text[]))'
SELECT * FROM accounts_by_region WHERE region NOT IN ('eu', 'us');
