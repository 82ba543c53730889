-- Pruning cause: an OR whose arms do not all constrain the key (order_id = 5 OR customer_id = 7):
-- the customer_id arm can match in any partition, so all 8 orders partitions are scanned.
-- Compare prune_operator_or_key_only_pruned. Fix: a UNION of the two lookups.
-- expect: (SELECT count(*) FROM pg_temp.nodes(plan) n WHERE n->>'Relation Name' LIKE 'orders\_p_') = 8
-- expect: EXISTS (SELECT FROM pg_temp.nodes(plan) n WHERE n->>'Node Type' = 'Append' AND (n->>'Subplans Removed')::int = 0 AND jsonb_array_length(n->'Plans') = 8)
-- expect: (SELECT count(*) FROM pg_temp.nodes(plan) n WHERE n->>'Filter' = '((order_id = 5) OR (customer_id = 7))') = 8
SELECT * FROM orders WHERE order_id = 5 OR customer_id = 7;
