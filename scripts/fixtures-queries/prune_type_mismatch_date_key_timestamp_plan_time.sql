-- Pruning cause (contrast): a cross-type comparison that still prunes at plan time. sales is
-- partitioned by a date key; date >= timestamp without time zone is immutable, so plan-time
-- pruning drops sales_2023 (its 3 leaves) and leaves an Append of the 3 sales_2024 leaves
-- ("Subplans Removed": 0; the catalog says there are 6 leaves).
-- expect: plan->0->'Plan'->>'Node Type' = 'Append' AND (plan->0->'Plan'->>'Subplans Removed')::int = 0
-- expect: (SELECT array_agg(n->>'Relation Name' ORDER BY n->>'Relation Name') FROM pg_temp.nodes(plan) n WHERE n ? 'Relation Name') = ARRAY['sales_2024_eu', 'sales_2024_other', 'sales_2024_us']
-- expect: plan->0->'Plan'->'Plans'->0->>'Filter' LIKE '%::timestamp without time zone)'
SELECT * FROM sales WHERE sold_at >= timestamp '2024-06-01';
