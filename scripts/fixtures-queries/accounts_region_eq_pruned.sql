-- List partitioning, region = 'eu': pruned to the single partition accounts_by_region_eu, a bare
-- Seq Scan (which still carries the Filter region = 'eu', though the bound implies it).
-- expect(13+): plan->0->'Plan'->>'Node Type' = 'Seq Scan' AND plan->0->'Plan'->>'Relation Name' = 'accounts_by_region_eu' AND plan->0->'Plan'->>'Alias' = 'accounts_by_region'
-- 12 names the scan of a partition by the partition's own name when the query has no alias:
-- expect(12): plan->0->'Plan'->>'Node Type' = 'Seq Scan' AND plan->0->'Plan'->>'Relation Name' = 'accounts_by_region_eu' AND plan->0->'Plan'->>'Alias' = 'accounts_by_region_eu'
SELECT * FROM accounts_by_region WHERE region = 'eu';
