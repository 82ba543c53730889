-- Two-level partitioning (RANGE by year, then LIST by region): the year range prunes the first
-- level and region = 'eu' the second, leaving the single leaf sales_2024_eu (bare Seq Scan).
-- expect(13+): plan->0->'Plan'->>'Node Type' = 'Seq Scan' AND plan->0->'Plan'->>'Relation Name' = 'sales_2024_eu' AND plan->0->'Plan'->>'Alias' = 'sales'
-- 12 names the scan of a partition by the partition's own name when the query has no alias:
-- expect(12): plan->0->'Plan'->>'Node Type' = 'Seq Scan' AND plan->0->'Plan'->>'Relation Name' = 'sales_2024_eu' AND plan->0->'Plan'->>'Alias' = 'sales_2024_eu'
SELECT * FROM sales WHERE sold_at >= '2024-01-01' AND region = 'eu';
