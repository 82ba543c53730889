-- A range on order_id that spans the orders_p1/orders_p2 boundary: plan-time pruning keeps 2 of
-- 8 partitions; the Append stays visible ("Subplans Removed": 0 — plan-time pruning leaves no
-- count, only the catalog tells that 6 partitions are missing).
SELECT * FROM orders WHERE order_id BETWEEN 40000 AND 60000;
