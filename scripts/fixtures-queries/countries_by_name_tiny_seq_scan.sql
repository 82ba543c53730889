-- A Seq Scan on a 200-row, 2-page table: cheaper than any index, must not be flagged.
-- expect: plan->0->'Plan'->>'Node Type' = 'Seq Scan' AND plan->0->'Plan'->>'Relation Name' = 'countries'
SELECT * FROM countries WHERE name = 'x';
