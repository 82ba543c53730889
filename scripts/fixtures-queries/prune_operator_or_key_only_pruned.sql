-- Pruning cause (contrast): an OR whose every arm constrains the key prunes at plan time:
-- order_id = 5 OR order_id = 300000 keeps orders_p1 and orders_p6 only (Bitmap Heap Scans
-- over a BitmapOr of two primary-key lookups each).
-- expect: plan->0->'Plan'->>'Node Type' = 'Append' AND (plan->0->'Plan'->>'Subplans Removed')::int = 0
-- expect: (SELECT array_agg(n->>'Relation Name' ORDER BY n->>'Relation Name') FROM pg_temp.nodes(plan) n WHERE n ? 'Relation Name') = ARRAY['orders_p1', 'orders_p6']
SELECT * FROM orders WHERE order_id = 5 OR order_id = 300000;
