-- orders is partitioned by order_id and queried by customer_id (no index on it): no predicate
-- on the partition key, so all 8 partitions are scanned (here by a Gather over a Parallel
-- Append of Parallel Seq Scans). The classic unpruned case.
SELECT * FROM orders WHERE customer_id = 4242;
