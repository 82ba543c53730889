-- order_id = constant: plan-time pruning leaves one partition, so there is no Append at all,
-- just a bare Index Scan on orders_p3 whose Alias is the parent's ("orders").
-- expect(13+): plan->0->'Plan'->>'Node Type' = 'Index Scan' AND plan->0->'Plan'->>'Relation Name' = 'orders_p3' AND plan->0->'Plan'->>'Alias' = 'orders'
-- 12 names the scan of a partition by the partition's own name when the query has no alias:
-- expect(12): plan->0->'Plan'->>'Node Type' = 'Index Scan' AND plan->0->'Plan'->>'Relation Name' = 'orders_p3' AND plan->0->'Plan'->>'Alias' = 'orders_p3'
-- expect: (SELECT count(*) FROM pg_temp.nodes(plan)) = 1
SELECT * FROM orders WHERE order_id = 123456;
