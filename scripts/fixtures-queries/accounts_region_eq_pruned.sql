-- List partitioning, region = 'eu': pruned to the single partition accounts_by_region_eu, a bare
-- Seq Scan (which still carries the Filter region = 'eu', though the bound implies it).
-- expect: plan->0->'Plan'->>'Node Type' = 'Seq Scan' AND plan->0->'Plan'->>'Relation Name' = 'accounts_by_region_eu' AND plan->0->'Plan'->>'Alias' = 'accounts_by_region'
SELECT * FROM accounts_by_region WHERE region = 'eu';
