-- Pruning cause: a function on the partition key (extract(year from created_at)). Although the
-- wanted year is exactly the 12 monthly partitions, nothing prunes: the DEFAULT partition (2023
-- rows only) is scanned too. Fix: created_at >= '2024-01-01' AND created_at < '2025-01-01'.
-- expect: (SELECT count(*) FROM pg_temp.nodes(plan) n WHERE n->>'Relation Name' LIKE 'measurements\_%') = 13
-- expect(14+): EXISTS (SELECT FROM pg_temp.nodes(plan) n WHERE n->>'Relation Name' = 'measurements_default' AND n->>'Filter' LIKE '%EXTRACT(year FROM created_at)%')
-- 12 and 13 print EXTRACT as the function date_part:
-- expect(12-13): EXISTS (SELECT FROM pg_temp.nodes(plan) n WHERE n->>'Relation Name' = 'measurements_default' AND n->>'Filter' LIKE '%date_part(''year''::text, created_at)%')
-- expect: EXISTS (SELECT FROM pg_temp.nodes(plan) n WHERE n->>'Node Type' = 'Append' AND (n->>'Subplans Removed')::int = 0)
SELECT * FROM measurements WHERE extract(year from created_at) = 2024;
