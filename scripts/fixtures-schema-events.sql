-- fixtures-schema-events.sql — the large-plan schema behind planlint's events_* fixtures.
--
-- Loaded by scripts/capture-fixtures.sh into its own database, `events`, of the throwaway
-- PostgreSQL 15 server (scripts/pg-temp.sh), so that the 4,000 partitions stay out of the main
-- fixture database and its catalog snapshot (tests/fixtures/catalog.json); the snapshot of this
-- database is tests/fixtures/catalog-events.json. Query files select it with `-- database: events`.
-- Run with psql -X -v ON_ERROR_STOP=1 -f. Data come from generate_series with deterministic
-- arithmetic, as in scripts/fixtures-schema.sql.
--
-- The DDL and the data load run in one transaction: creating 4,000 partitions (each with its
-- TOAST table and index) takes ~12,000 locks at once, which the server of scripts/pg-temp.sh is
-- sized for (max_locks_per_transaction).

\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET synchronous_commit = off;

BEGIN;

DROP TABLE IF EXISTS events CASCADE;

-- events: hash-partitioned by user_id into 4,000 partitions events_0 .. events_3999
-- (events_R holds remainder R). No index: a query on anything but user_id reads every partition.
CREATE TABLE events (
    event_id   bigint      NOT NULL,
    user_id    bigint      NOT NULL,
    kind       text        NOT NULL,
    created_at timestamptz NOT NULL
) PARTITION BY HASH (user_id);

DO $$
BEGIN
    FOR r IN 0..3999 LOOP
        EXECUTE format(
            'CREATE TABLE events_%s PARTITION OF events FOR VALUES WITH (MODULUS 4000, REMAINDER %s)',
            r, r);
    END LOOP;
END
$$;

-- 100,000 events of 50,000 users (2 each; ~25 rows, 1 page per partition), one a minute;
-- a quarter of them are clicks.
INSERT INTO events (event_id, user_id, kind, created_at)
SELECT g,
       g % 50000 + 1,
       (ARRAY['click', 'view', 'purchase', 'signup'])[g % 4 + 1],
       timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute'
FROM generate_series(1, 100000) AS g;

COMMIT;

-- As in scripts/fixtures-schema.sql: ANALYZE reads every row, so estimates are reproducible.
SET default_statistics_target = 1000;
VACUUM ANALYZE events;
