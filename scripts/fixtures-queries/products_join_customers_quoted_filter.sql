-- A nested loop whose outer Seq Scan filters products.name on a literal holding a double quote
-- and a backslash ('a"b\c'): JSON escapes both ("a\"b\\c"), psql's CSV output then doubles
-- every quote. The inner side is an Index Scan on customers_pkey. No product has that name, so
-- under ANALYZE the Index Scan is never executed. The psql paste variants
-- tests/fixtures/paste/products_join_customers.* show this plan.
-- expect: plan->0->'Plan'->>'Node Type' = 'Nested Loop'
-- expect: plan->0->'Plan'->'Plans'->0->>'Node Type' = 'Seq Scan' AND plan->0->'Plan'->'Plans'->0->>'Filter' = '(name = ''a"b\c''::text)'
-- expect: plan->0->'Plan'->'Plans'->1->>'Node Type' = 'Index Scan' AND plan->0->'Plan'->'Plans'->1->>'Index Name' = 'customers_pkey' AND plan->0->'Plan'->'Plans'->1 ? 'Index Cond'
-- expect: (SELECT count(*) FROM pg_temp.nodes(plan)) = 3
-- expect-analyze: (plan->0->'Plan'->'Plans'->1->>'Actual Loops')::int = 0
SELECT p.id, p.name, c.email
FROM products p
JOIN customers c ON c.id = p.id
WHERE p.name = 'a"b\c';
