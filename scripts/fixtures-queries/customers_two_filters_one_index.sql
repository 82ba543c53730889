-- Two filters of one table in one statement, (email) and (email, region): one index on
-- (email, region) serves both, so missing-index suggests that one index for both scans.
-- expect: (SELECT count(*) FROM pg_temp.nodes(plan) n WHERE n->>'Node Type' LIKE '%Seq Scan' AND n->>'Relation Name' = 'customers') = 2
SELECT * FROM customers WHERE email = 'user1@example.com'
UNION ALL
SELECT * FROM customers WHERE email = 'user2@example.com' AND region = 'eu';
