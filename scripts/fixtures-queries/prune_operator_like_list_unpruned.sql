-- Pruning cause: LIKE on the key is not an operator of the key's btree operator family, so
-- region LIKE 'e%' prunes nothing: all 4 listed partitions and the DEFAULT one are scanned,
-- though only accounts_by_region_eu can match. Fix: region = 'eu' (or IN (...)).
-- expect: plan->0->'Plan'->>'Node Type' = 'Append' AND (plan->0->'Plan'->>'Subplans Removed')::int = 0 AND jsonb_array_length(plan->0->'Plan'->'Plans') = 5
-- expect: (SELECT count(*) FROM pg_temp.nodes(plan) n WHERE n->>'Relation Name' LIKE 'accounts\_by\_region\_%' AND n->>'Filter' = '(region ~~ ''e%''::text)') = 5
SELECT * FROM accounts_by_region WHERE region LIKE 'e%';
