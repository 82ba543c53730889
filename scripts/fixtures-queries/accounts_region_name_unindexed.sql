-- A LIST-partitioned table filtered by its key and another column: pruning leaves the eu
-- partition, where region is the same in every row. The index a DBA would build is on name
-- alone: leading with region, constant inside each partition, would be dead weight.
-- expect: plan->0->'Plan'->>'Node Type' = 'Seq Scan' AND plan->0->'Plan'->>'Relation Name' = 'accounts_by_region_eu'
SELECT * FROM accounts_by_region WHERE region = 'eu' AND name = 'account 4240';
