-- List partitioning, region <> 'eu': <> prunes list partitions, so only accounts_by_region_eu
-- is removed; the 3 other listed partitions and the DEFAULT one remain.
-- expect: plan->0->'Plan'->>'Node Type' = 'Append' AND jsonb_array_length(plan->0->'Plan'->'Plans') = 4
-- expect: NOT EXISTS (SELECT FROM pg_temp.nodes(plan) n WHERE n->>'Relation Name' = 'accounts_by_region_eu')
SELECT * FROM accounts_by_region WHERE region <> 'eu';
