-- UNION ALL of two unrelated plain tables: an Append whose members are not partitions (and in
-- JSON it still prints "Subplans Removed": 0).
-- expect: plan->0->'Plan'->>'Node Type' = 'Append' AND jsonb_array_length(plan->0->'Plan'->'Plans') = 2
-- expect: (SELECT array_agg(n->>'Relation Name' ORDER BY n->>'Relation Name') FROM pg_temp.nodes(plan) n WHERE n ? 'Relation Name') = ARRAY['customers', 'products']
SELECT id, email AS label FROM customers
UNION ALL
SELECT id, name FROM products;
