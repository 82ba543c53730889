-- A function on the partition key (date_trunc('day', created_at)) defeats pruning: all 12 monthly
-- partitions and the DEFAULT one are scanned although only one day is wanted. The Parallel
-- Append orders its children by cost, so aliases (measurements_N, N = position among the
-- partitions in bound order) are not in plan order.
-- expect: (SELECT count(*) FROM pg_temp.nodes(plan) n WHERE n->>'Relation Name' LIKE 'measurements\_%') = 13
-- expect: EXISTS (SELECT FROM pg_temp.nodes(plan) n WHERE n->>'Relation Name' = 'measurements_default')
SELECT * FROM measurements WHERE date_trunc('day', created_at) = '2024-03-15';
