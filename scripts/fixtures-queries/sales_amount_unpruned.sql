-- Two-level partitioning queried by a non-key column: all 6 leaves under one flat Append; the
-- intermediate partitioned tables sales_2023/sales_2024 do not appear.
-- expect: plan->0->'Plan'->>'Node Type' = 'Append' AND jsonb_array_length(plan->0->'Plan'->'Plans') = 6
-- expect: NOT EXISTS (SELECT FROM pg_temp.nodes(plan) n WHERE n->>'Relation Name' IN ('sales', 'sales_2023', 'sales_2024'))
SELECT * FROM sales WHERE amount > 100;
