-- Two-level partitioning with region IN ('eu', 'us'): pruned on both levels to 2 of 6 leaves,
-- which sit directly under one Append (multi-level partitioning is flattened).
-- expect: plan->0->'Plan'->>'Node Type' = 'Append'
-- expect: (SELECT array_agg(n->>'Relation Name' ORDER BY n->>'Relation Name') FROM pg_temp.nodes(plan) n WHERE n ? 'Relation Name') = ARRAY['sales_2024_eu', 'sales_2024_us']
SELECT * FROM sales WHERE sold_at >= '2024-01-01' AND region IN ('eu', 'us');
