-- A filter on a column no index serves, over the 13 partitions of measurements: missing-index's
-- DDL (an index on the parent, one built concurrently on each partition, one ATTACH each) is
-- 27 lines, longer than the text report shows, so it goes whole to --fix-sql FILE.
-- expect: (SELECT count(*) FROM pg_temp.nodes(plan) n WHERE n->>'Node Type' LIKE '%Seq Scan') = 13
SELECT * FROM measurements WHERE value = 42.5 AND sensor_id = 7;
