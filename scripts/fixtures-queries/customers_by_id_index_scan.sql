-- Lookup by primary key: an Index Scan on customers_pkey. Clean, nothing to report.
-- expect: plan->0->'Plan'->>'Node Type' = 'Index Scan' AND plan->0->'Plan'->>'Index Name' = 'customers_pkey'
SELECT * FROM customers WHERE id = 5;
