-- Hash partitioning, user_id = 42: pruned to the one partition holding hash(42), a bare Seq Scan
-- on sessions_2.
-- expect: plan->0->'Plan'->>'Node Type' = 'Seq Scan' AND plan->0->'Plan'->>'Relation Name' = 'sessions_2'
SELECT * FROM sessions WHERE user_id = 42;
