-- The customer lookup on orders (partitioned by order_id) once the index that missing-index
-- suggests exists: every partition is probed through its index, which is cheap at 8 partitions.
-- The index is created in the capture session's open transaction, which is rolled back when
-- psql exits, so no other fixture and no catalog snapshot sees it.
-- expect: (SELECT count(*) FROM pg_temp.nodes(plan) n WHERE n->>'Node Type' IN ('Index Scan', 'Bitmap Heap Scan')) = 8
-- expect: NOT EXISTS (SELECT FROM pg_temp.nodes(plan) n WHERE n->>'Node Type' LIKE '%Seq Scan')
BEGIN;
CREATE INDEX orders_customer_id_idx ON orders (customer_id);
SELECT * FROM orders WHERE customer_id = 4242;
