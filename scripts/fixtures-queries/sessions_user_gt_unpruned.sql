-- Hash partitioning, user_id > 42: hash partitions cannot prune on a range, all 8 are scanned.
-- expect: plan->0->'Plan'->>'Node Type' = 'Append' AND jsonb_array_length(plan->0->'Plan'->'Plans') = 8
SELECT * FROM sessions WHERE user_id > 42;
