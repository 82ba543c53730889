-- catalog-snapshot.sql — a snapshot of the catalog facts planlint needs, as one JSON document.
--
-- Run:   psql -X -At -v ON_ERROR_STOP=1 -f scripts/catalog-snapshot.sql > catalog.json
-- Needs: PostgreSQL 11 or later (pg_get_partkeydef, relispartition, indnkeyatts); read-only,
--        ordinary privileges suffice for the relations the user can see in pg_class.
--
-- Output format, version 1 (one JSON object; key order as below; one relation per line):
-- {
--   "planlint_catalog": 1,                  -- format version
--   "server_version": "15.18",              -- current_setting('server_version')
--   "relations": [                          -- every ordinary table, partitioned table, foreign
--                                           -- table and materialized view outside pg_catalog,
--                                           -- information_schema, pg_toast (and the per-session
--                                           -- pg_temp_N / pg_toast_temp_N schemas), sorted by
--                                           -- schema then name (byte order, COLLATE "C")
--     {
--       "schema": "public",
--       "name": "orders",
--       "kind": "partitioned_table",        -- table | partitioned_table | foreign_table |
--                                           -- materialized_view
--       "visible": true,                    -- pg_table_is_visible: the snapshot session's
--                                           -- search path finds it by its bare name (what a
--                                           -- plan's unqualified relation name means)
--       "reltuples": -1,                    -- pg_class.reltuples (number; -1 = never analyzed)
--       "relpages": 0,                      -- pg_class.relpages
--       "parent": null,                     -- for a partition (relispartition): its immediate
--                                           -- parent from pg_inherits as "schema.name"
--                                           -- (unquoted); else null (plain inheritance
--                                           -- children are not partitions: null)
--       "partition_bound": null,            -- for a partition: pg_get_expr(relpartbound, oid),
--                                           -- e.g. "FOR VALUES FROM ('1') TO ('50001')" or
--                                           -- "DEFAULT"; else null
--       "partition_key": {                  -- only for partitioned tables, else null
--         "strategy": "range",              -- range | list | hash
--         "definition": "RANGE (order_id)", -- pg_get_partkeydef(oid)
--         "columns": ["order_id"]           -- per key column: its name, or for an expression
--                                           -- key the expression's text (pg_get_expr)
--       },
--       "columns": [                        -- attnum > 0, not dropped, in attnum order
--         {"name": "order_id", "type": "bigint"}   -- type: format_type(atttypid, atttypmod)
--       ],
--       "indexes": [                        -- every index on the relation (partitioned
--                                           -- tables too), sorted by name
--         {
--           "name": "orders_pkey",
--           "columns": ["order_id"],        -- key columns: pg_get_indexdef(indexrelid, k, true)
--                                           -- for k in 1..indnkeyatts (expressions as text)
--           "include": [],                  -- INCLUDE columns: k in indnkeyatts+1..indnatts
--           "definition": "CREATE UNIQUE INDEX orders_pkey ON ONLY public.orders USING btree (order_id)",
--           "method": "btree",              -- pg_am.amname
--           "unique": true,                 -- indisunique
--           "primary": true,                -- indisprimary
--           "predicate": null,              -- pg_get_expr(indpred, indrelid), or null
--           "valid": true                   -- indisvalid
--         }
--       ]
--     }
--   ]
-- }
--
-- The document is printed by a single SELECT; with -At psql prints it as is.

WITH rels AS (
    SELECT c.oid, n.nspname, c.relname, c.relkind, c.reltuples, c.relpages,
           c.relispartition, c.relpartbound
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'f', 'm')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
      AND n.nspname !~ '^pg_(toast_)?temp_'
),
-- Partition key columns. Expression keys (partattrs[k] = 0) take the k-th expression of
-- partexprs; pg_get_expr prints that List as "e1, e2, ...", which is split at top-level
-- commas (outside parentheses and quotes).
keyexprs AS (
    SELECT pt.partrelid, pg_catalog.pg_get_expr(pt.partexprs, pt.partrelid) AS txt
    FROM pg_catalog.pg_partitioned_table pt
    WHERE pt.partexprs IS NOT NULL
),
keyexpr_chars AS (
    SELECT k.partrelid, ch.i, ch.c,
           -- inside a single-quoted literal or a double-quoted identifier?
           (count(*) FILTER (WHERE ch.c = '''') OVER w) % 2 = 1
               OR (count(*) FILTER (WHERE ch.c = '"') OVER w) % 2 = 1 AS quoted,
           sum(CASE ch.c WHEN '(' THEN 1 WHEN ')' THEN -1 ELSE 0 END) OVER w AS depth
    FROM keyexprs k,
         LATERAL regexp_split_to_table(k.txt, '') WITH ORDINALITY AS ch(c, i)
    WINDOW w AS (PARTITION BY k.partrelid ORDER BY ch.i)
),
keyexpr_items AS (
    SELECT partrelid,
           -- number of top-level separators before this character = item number - 1
           1 + (count(*) FILTER (WHERE c = ',' AND depth = 0 AND NOT quoted)
                    OVER (PARTITION BY partrelid ORDER BY i)) AS item,
           i, c, (c = ',' AND depth = 0 AND NOT quoted) AS sep
    FROM keyexpr_chars
),
keyexpr_list AS (
    SELECT partrelid, item, btrim(string_agg(c, '' ORDER BY i) FILTER (WHERE NOT sep)) AS expr
    FROM keyexpr_items
    GROUP BY partrelid, item
),
partkeys AS (
    SELECT pt.partrelid,
           json_build_object(
               'strategy', CASE pt.partstrat WHEN 'r' THEN 'range' WHEN 'l' THEN 'list'
                                             WHEN 'h' THEN 'hash' ELSE pt.partstrat::text END,
               'definition', pg_catalog.pg_get_partkeydef(pt.partrelid),
               'columns', (
                   SELECT coalesce(json_agg(
                              CASE WHEN a.attnum <> 0 THEN
                                  (SELECT att.attname::text FROM pg_catalog.pg_attribute att
                                   WHERE att.attrelid = pt.partrelid AND att.attnum = a.attnum)
                              ELSE
                                  (SELECT e.expr FROM keyexpr_list e
                                   WHERE e.partrelid = pt.partrelid
                                     AND e.item = (SELECT count(*) FROM unnest(pt.partattrs::int2[])
                                                   WITH ORDINALITY AS z(attnum, k)
                                                   WHERE z.attnum = 0 AND z.k <= a.k))
                              END ORDER BY a.k), '[]'::json)
                   FROM unnest(pt.partattrs::int2[]) WITH ORDINALITY AS a(attnum, k)
               )
           ) AS key
    FROM pg_catalog.pg_partitioned_table pt
),
cols AS (
    SELECT a.attrelid,
           json_agg(json_build_object(
                        'name', a.attname,
                        'type', pg_catalog.format_type(a.atttypid, a.atttypmod))
                    ORDER BY a.attnum) AS columns
    FROM pg_catalog.pg_attribute a
    WHERE a.attrelid IN (SELECT oid FROM rels) AND a.attnum > 0 AND NOT a.attisdropped
    GROUP BY a.attrelid
),
idx AS (
    SELECT i.indrelid,
           json_agg(json_build_object(
                        'name', ic.relname,
                        'columns', (SELECT coalesce(json_agg(pg_catalog.pg_get_indexdef(i.indexrelid, k, true)
                                                             ORDER BY k), '[]'::json)
                                    FROM generate_series(1, i.indnkeyatts) AS k),
                        'include', (SELECT coalesce(json_agg(pg_catalog.pg_get_indexdef(i.indexrelid, k, true)
                                                             ORDER BY k), '[]'::json)
                                    FROM generate_series(i.indnkeyatts + 1, i.indnatts) AS k),
                        'definition', pg_catalog.pg_get_indexdef(i.indexrelid),
                        'method', am.amname,
                        'unique', i.indisunique,
                        'primary', i.indisprimary,
                        'predicate', pg_catalog.pg_get_expr(i.indpred, i.indrelid),
                        'valid', i.indisvalid)
                    ORDER BY ic.relname COLLATE "C") AS indexes
    FROM pg_catalog.pg_index i
    JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_catalog.pg_am am ON am.oid = ic.relam
    WHERE i.indrelid IN (SELECT oid FROM rels)
    GROUP BY i.indrelid
),
parents AS (
    SELECT inh.inhrelid, pn.nspname || '.' || pc.relname AS parent
    FROM pg_catalog.pg_inherits inh
    JOIN pg_catalog.pg_class pc ON pc.oid = inh.inhparent
    JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
    WHERE inh.inhrelid IN (SELECT oid FROM rels WHERE relispartition)
),
relation_docs AS (
    SELECT r.nspname, r.relname,
           json_build_object(
               'schema', r.nspname,
               'name', r.relname,
               'kind', CASE r.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned_table'
                                      WHEN 'f' THEN 'foreign_table' WHEN 'm' THEN 'materialized_view' END,
               -- NULL when the relation was dropped while the snapshot ran
               'visible', coalesce(pg_catalog.pg_table_is_visible(r.oid), false),
               'reltuples', r.reltuples::numeric,
               'relpages', r.relpages,
               'parent', CASE WHEN r.relispartition THEN p.parent END,
               'partition_bound', CASE WHEN r.relispartition
                                       THEN pg_catalog.pg_get_expr(r.relpartbound, r.oid) END,
               'partition_key', pk.key,
               'columns', coalesce(cl.columns, '[]'::json),
               'indexes', coalesce(ix.indexes, '[]'::json)
           ) AS doc
    FROM rels r
    LEFT JOIN parents p ON p.inhrelid = r.oid
    LEFT JOIN partkeys pk ON pk.partrelid = r.oid AND r.relkind = 'p'
    LEFT JOIN cols cl ON cl.attrelid = r.oid
    LEFT JOIN idx ix ON ix.indrelid = r.oid
)
SELECT '{' || E'\n'
    || '  "planlint_catalog": 1,' || E'\n'
    || '  "server_version": ' || to_json(current_setting('server_version'))::text || ',' || E'\n'
    || '  "relations": ['
    || coalesce(E'\n    ' || string_agg(doc::text, E',\n    '
                                        ORDER BY nspname COLLATE "C", relname COLLATE "C"), '')
    || E'\n  ]\n}'
FROM relation_docs;
