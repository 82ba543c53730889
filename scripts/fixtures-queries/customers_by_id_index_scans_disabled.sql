-- Lookup by primary key with index scans disabled: a Seq Scan whose filter discards all but one
-- row, on a column that already has an index (customers_pkey). missing-index must not suggest
-- an index that exists when the catalog is known.
-- expect: plan->0->'Plan'->>'Node Type' = 'Seq Scan' AND plan->0->'Plan'->>'Relation Name' = 'customers'
SET enable_indexscan = off;
SET enable_bitmapscan = off;
SET enable_indexonlyscan = off;
SELECT * FROM customers WHERE id = 5;
