-- Pruning cause (contrast): a closed range inside one partition's bounds excludes the DEFAULT
-- partition too. created_at BETWEEN '2024-03-01' AND '2024-03-31' is pruned at plan time to
-- measurements_2024_03 alone: a bare Seq Scan (no Append) with the parent's alias.
-- expect(13+): plan->0->'Plan'->>'Node Type' = 'Seq Scan' AND plan->0->'Plan'->>'Relation Name' = 'measurements_2024_03' AND plan->0->'Plan'->>'Alias' = 'measurements'
-- 12 names the scan of a partition by the partition's own name when the query has no alias:
-- expect(12): plan->0->'Plan'->>'Node Type' = 'Seq Scan' AND plan->0->'Plan'->>'Relation Name' = 'measurements_2024_03' AND plan->0->'Plan'->>'Alias' = 'measurements_2024_03'
-- expect: (SELECT count(*) FROM pg_temp.nodes(plan)) = 1
SELECT * FROM measurements WHERE created_at BETWEEN '2024-03-01' AND '2024-03-31';
