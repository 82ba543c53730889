-- Pruning cause: a function on the partition key (coalesce(order_id, 0), pointless on a NOT NULL
-- key): all 8 orders partitions are scanned, sequentially (the primary key cannot be used), for
-- one row. Fix: order_id = 123.
-- expect: (SELECT count(*) FROM pg_temp.nodes(plan) n WHERE n->>'Node Type' LIKE '%Seq Scan' AND n->>'Relation Name' LIKE 'orders\_p_') = 8
-- expect: (SELECT count(*) FROM pg_temp.nodes(plan) n WHERE n->>'Filter' LIKE '%COALESCE(order_id%') = 8
-- expect: EXISTS (SELECT FROM pg_temp.nodes(plan) n WHERE n->>'Node Type' = 'Append' AND (n->>'Subplans Removed')::int = 0 AND jsonb_array_length(n->'Plans') = 8)
SELECT * FROM orders WHERE coalesce(order_id, 0) = 123;
