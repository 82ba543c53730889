-- An OR of two columns, neither indexed: a BitmapOr would serve it with one index per arm, so
-- missing-index gives both, (email) and (last_order_id).
-- expect: plan->0->'Plan'->>'Node Type' = 'Seq Scan' AND plan->0->'Plan'->>'Filter' LIKE '%OR%'
SELECT * FROM customers WHERE email = 'user42@example.com' OR last_order_id = 123;
