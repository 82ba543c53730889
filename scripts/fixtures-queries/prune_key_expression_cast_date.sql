-- Pruning cause: a cast on the partition key (created_at::date). The planner only prunes on the
-- bare key, so all 12 monthly partitions and the DEFAULT one are scanned for one day, and the
-- index on created_at cannot be used either. Fix: created_at >= '2024-03-15' AND created_at <
-- '2024-03-16'.
-- expect: (SELECT count(*) FROM pg_temp.nodes(plan) n WHERE n->>'Relation Name' LIKE 'measurements\_%') = 13
-- expect: EXISTS (SELECT FROM pg_temp.nodes(plan) n WHERE n->>'Node Type' = 'Append' AND (n->>'Subplans Removed')::int = 0 AND jsonb_array_length(n->'Plans') = 13)
-- expect: (SELECT count(*) FROM pg_temp.nodes(plan) n WHERE n->>'Filter' = '((created_at)::date = ''2024-03-15''::date)') = 13
SELECT * FROM measurements WHERE created_at::date = '2024-03-15';
