-- Type mismatch: a numeric literal against the bigint key makes the parser cast the key
-- ((order_id)::numeric = 123456.0), so nothing prunes and no index is usable: all 8 partitions
-- are scanned for one row.
-- expect: (SELECT count(*) FROM pg_temp.nodes(plan) n WHERE n->>'Relation Name' LIKE 'orders\_p_') = 8
-- expect: EXISTS (SELECT FROM pg_temp.nodes(plan) n WHERE n->>'Filter' LIKE '%(order_id)::numeric%')
SELECT * FROM orders WHERE order_id = 123456.0;
