-- A large plan: events is hash-partitioned by user_id into 4,000 partitions and queried by kind,
-- so nothing prunes and one Append holds a Seq Scan of every partition (events_0 .. events_3999).
-- The plain plan is ~1.6 MB, the ANALYZE one ~3.7 MB; the schema is
-- scripts/fixtures-schema-events.sql (catalog: tests/fixtures/catalog-events.json).
-- database: events
-- expect: plan->0->'Plan'->>'Node Type' = 'Append' AND jsonb_array_length(plan->0->'Plan'->'Plans') = 4000
-- expect: (SELECT count(DISTINCT n->>'Relation Name') FROM pg_temp.nodes(plan) n WHERE n->>'Node Type' = 'Seq Scan' AND n->>'Relation Name' ~ '^events_[0-9]+$') = 4000
-- expect: (SELECT count(*) FROM pg_temp.nodes(plan)) = 4001
-- expect-analyze: (plan->0->'Plan'->>'Actual Rows')::numeric = 25000 AND (SELECT count(*) FROM pg_temp.nodes(plan) n WHERE (n->>'Actual Loops')::int = 1) = 4001
SELECT * FROM events WHERE kind = 'click';
