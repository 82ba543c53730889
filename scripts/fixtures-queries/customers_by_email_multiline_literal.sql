-- A string literal with line breaks in it, one of its lines blank and one that reads as a plan
-- node: EXPLAIN's text format prints the breaks as they are, so the Filter's value spans three
-- lines, the last two at column 0.
-- expect: plan->0->'Plan'->>'Filter' LIKE '%' || chr(10) || chr(10) || 'Sort  (cost=%'
SELECT * FROM customers WHERE email = E'nobody@example.com\n\nSort  (cost=1.00..2.00 rows=1 width=4)';
