-- No index on customers.email: a Seq Scan over 100,000 rows whose Filter discards all but one
-- ("Rows Removed by Filter": 99999 under ANALYZE). The missing-index case.
-- expect: plan->0->'Plan'->>'Node Type' = 'Seq Scan' AND plan->0->'Plan'->>'Relation Name' = 'customers'
-- expect-analyze: (plan->0->'Plan'->>'Rows Removed by Filter')::int = 99999 AND (plan->0->'Plan'->>'Actual Rows')::numeric = 1
SELECT * FROM customers WHERE email = 'user4242@example.com';
