-- A join through a key no index serves: one customer, found by email, and their orders. orders
-- has no index on customer_id, so the join reads all 400,000 orders to match a few: the index
-- a DBA would add is on the join key, orders (customer_id), beside the one on customers (email).
-- expect: EXISTS (SELECT FROM pg_temp.nodes(plan) n WHERE n->>'Node Type' IN ('Hash Join', 'Nested Loop', 'Merge Join'))
-- expect: (SELECT count(*) FROM pg_temp.nodes(plan) n WHERE n->>'Node Type' LIKE '%Seq Scan' AND n->>'Relation Name' LIKE 'orders\_p_') = 8
SELECT o.* FROM customers c JOIN orders o ON o.customer_id = c.id WHERE c.email = 'user4242@example.com';
