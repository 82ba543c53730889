-- Pruning cause: a collation other than the key's. region = 'eu' COLLATE "C" compares in the "C"
-- collation while the partition bounds use the column's default collation, so nothing prunes:
-- all 5 partitions are scanned (compare accounts_region_eq_pruned). Fix: drop the COLLATE.
-- expect: plan->0->'Plan'->>'Node Type' = 'Append' AND (plan->0->'Plan'->>'Subplans Removed')::int = 0 AND jsonb_array_length(plan->0->'Plan'->'Plans') = 5
-- expect: (SELECT count(*) FROM pg_temp.nodes(plan) n WHERE n->>'Filter' = '(region = ''eu''::text COLLATE "C")') = 5
SELECT * FROM accounts_by_region WHERE region = 'eu' COLLATE "C";
