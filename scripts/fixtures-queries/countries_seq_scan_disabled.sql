-- The tiny countries lookup with sequential scans disabled: no index serves name, so the Seq Scan
-- stays, disabled. PostgreSQL 18 says so on the node ("Disabled": true; in text "Disabled:
-- true"); earlier versions add 10,000,000,000 to its estimated cost instead. Nothing to flag:
-- the table is 2 pages.
-- expect: plan->0->'Plan'->>'Node Type' = 'Seq Scan' AND plan->0->'Plan'->>'Relation Name' = 'countries'
-- expect(18+): (plan->0->'Plan'->>'Disabled')::boolean AND (plan->0->'Plan'->>'Total Cost')::numeric < 100
-- expect(12-17): (plan->0->'Plan'->>'Total Cost')::numeric > 10000000000
SET enable_seqscan = off;
SELECT * FROM countries WHERE name = 'x';
