-- planlint: ignore-file seq-scan -- reports read whole tables on purpose

-- planlint: ignore unpruned-partitions, missing-index -- the nightly revenue report reads everything
SELECT date_trunc('day', created_at) AS day, sum(amount)
FROM orders
GROUP BY 1;
