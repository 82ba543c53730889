-- The application's order lookups, linted by examples/github-actions.yml.

-- Orders of one customer: orders is partitioned by order_id, so every partition is read.
SELECT order_id, created_at, amount
FROM orders
WHERE customer_id = $1;

-- One order by its key: prunes to one partition at executor start-up.
SELECT * FROM orders WHERE order_id = $1;
