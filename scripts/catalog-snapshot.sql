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
-- The document is printed by a single SELECT; with -At psql prints it as is. Its many small
-- joins can cost enough for the server to JIT-compile them, which takes longer than the query:
-- planlint runs it with jit off (PGOPTIONS='-c jit=off' does the same for psql).
--
-- Locks: only the expression texts need functions that lock the relation they read (index
-- definitions, index expressions and predicates, expression partition keys: pg_get_indexdef,
-- pg_get_expr with a relation); everything else is read from the catalogs without a lock, so
-- the query does not wait behind a migration's ACCESS EXCLUSIVE lock on a relation it has no
-- texts to read from. Two settings, which planlint sets in its transaction (psql leaves them
-- unset: every relation, every text), narrow it:
--   planlint.relations  a JSON array of [schema or null, name] pairs: only the partition trees
--                       of those relations (each one's topmost parent and everything under it)
--   planlint.unread     a JSON array of relation oids whose texts are not read (another session
--                       holds or waits for an ACCESS EXCLUSIVE lock on them): their index
--                       "definition" is "", an expression column "(expression not read)", a
--                       predicate "(predicate not read)", an expression key's definition and
--                       column "(expression not read)"

WITH RECURSIVE settings AS (
    SELECT nullif(current_setting('planlint.relations', true), '')::json AS relations,
           ARRAY(SELECT json_array_elements_text(
                     coalesce(nullif(current_setting('planlint.unread', true), ''), '[]')::json
                 )::oid) AS unread
),
-- The relations named, resolved as the session's search path resolves them (to_regclass takes
-- no lock), then the topmost parent of each and everything under it.
named AS (
    SELECT to_regclass(CASE WHEN r.value->>0 IS NULL THEN quote_ident(r.value->>1)
                            ELSE quote_ident(r.value->>0) || '.' || quote_ident(r.value->>1) END) AS oid
    FROM settings s, json_array_elements(s.relations) AS r(value)
),
up(oid) AS (
    SELECT oid FROM named WHERE oid IS NOT NULL
    UNION
    SELECT inh.inhparent FROM pg_catalog.pg_inherits inh JOIN up ON inh.inhrelid = up.oid
),
tops AS (
    SELECT oid FROM up
    WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits inh WHERE inh.inhrelid = up.oid)
),
down(oid) AS (
    SELECT oid FROM tops
    UNION
    SELECT inh.inhrelid FROM pg_catalog.pg_inherits inh JOIN down ON inh.inhparent = down.oid
),
rels AS (
    SELECT c.oid, n.nspname, c.relname, c.relkind, c.reltuples, c.relpages,
           c.relispartition, c.relpartbound, c.oid = ANY (s.unread) AS unread
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    CROSS JOIN settings s
    WHERE c.relkind IN ('r', 'p', 'f', 'm')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
      AND n.nspname !~ '^pg_(toast_)?temp_'
      AND (s.relations IS NULL OR c.oid IN (SELECT oid FROM down))
),
-- Partition key columns. Expression keys (partattrs[k] = 0) take the k-th expression of
-- partexprs; pg_get_expr prints that List as "e1, e2, ...", which is split at top-level
-- commas (outside parentheses and quotes).
keyexprs AS (
    SELECT pt.partrelid, pg_catalog.pg_get_expr(pt.partexprs, pt.partrelid) AS txt
    FROM pg_catalog.pg_partitioned_table pt
    WHERE pt.partexprs IS NOT NULL
      AND pt.partrelid IN (SELECT oid FROM rels WHERE NOT unread)
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
               -- plain column keys spelled out without a lock; expression keys need one
               'definition', CASE
                   WHEN pt.partexprs IS NULL THEN
                       upper(CASE pt.partstrat WHEN 'r' THEN 'range' WHEN 'l' THEN 'list'
                                               WHEN 'h' THEN 'hash' ELSE pt.partstrat::text END)
                       || ' (' || (SELECT string_agg(quote_ident(att.attname), ', ' ORDER BY a.k)
                                   FROM unnest(pt.partattrs::int2[]) WITH ORDINALITY AS a(attnum, k)
                                   JOIN pg_catalog.pg_attribute att
                                     ON att.attrelid = pt.partrelid AND att.attnum = a.attnum)
                       || ')'
                   WHEN r.unread THEN '(expression not read)'
                   ELSE pg_catalog.pg_get_partkeydef(pt.partrelid) END,
               'columns', (
                   SELECT coalesce(json_agg(
                              CASE WHEN a.attnum <> 0 THEN
                                  (SELECT att.attname::text FROM pg_catalog.pg_attribute att
                                   WHERE att.attrelid = pt.partrelid AND att.attnum = a.attnum)
                              ELSE
                                  coalesce((SELECT e.expr FROM keyexpr_list e
                                   WHERE e.partrelid = pt.partrelid
                                     AND e.item = (SELECT count(*) FROM unnest(pt.partattrs::int2[])
                                                   WITH ORDINALITY AS z(attnum, k)
                                                   WHERE z.attnum = 0 AND z.k <= a.k)),
                                           '(expression not read)')
                              END ORDER BY a.k), '[]'::json)
                   FROM unnest(pt.partattrs::int2[]) WITH ORDINALITY AS a(attnum, k)
               )
           ) AS key
    FROM pg_catalog.pg_partitioned_table pt
    JOIN rels r ON r.oid = pt.partrelid
),
-- Each index column: a plain column by its name, without a lock (as pg_get_indexdef quotes
-- it); an expression by pg_get_indexdef, which locks the table.
index_columns AS (
    SELECT i.indexrelid, k,
           CASE WHEN i.indkey[k - 1] <> 0 THEN
                    (SELECT quote_ident(att.attname) FROM pg_catalog.pg_attribute att
                     WHERE att.attrelid = i.indrelid AND att.attnum = i.indkey[k - 1])
                WHEN r.unread THEN '(expression not read)'
                ELSE pg_catalog.pg_get_indexdef(i.indexrelid, k, true) END AS col
    FROM pg_catalog.pg_index i
    JOIN rels r ON r.oid = i.indrelid,
         LATERAL generate_series(1, i.indnatts) AS k
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
                        'columns', (SELECT coalesce(json_agg(ic.col ORDER BY ic.k), '[]'::json)
                                    FROM index_columns ic
                                    WHERE ic.indexrelid = i.indexrelid AND ic.k <= i.indnkeyatts),
                        'include', (SELECT coalesce(json_agg(ic.col ORDER BY ic.k), '[]'::json)
                                    FROM index_columns ic
                                    WHERE ic.indexrelid = i.indexrelid AND ic.k > i.indnkeyatts),
                        'definition', CASE WHEN r.unread THEN ''
                                           ELSE pg_catalog.pg_get_indexdef(i.indexrelid) END,
                        'method', am.amname,
                        'unique', i.indisunique,
                        'primary', i.indisprimary,
                        'predicate', CASE WHEN i.indpred IS NULL THEN NULL
                                          WHEN r.unread THEN '(predicate not read)'
                                          ELSE pg_catalog.pg_get_expr(i.indpred, i.indrelid) END,
                        'valid', i.indisvalid)
                    ORDER BY ic.relname COLLATE "C") AS indexes
    FROM pg_catalog.pg_index i
    JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_catalog.pg_am am ON am.oid = ic.relam
    JOIN rels r ON r.oid = i.indrelid
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
                                       -- bounds hold constants only: no relation, no lock
                                       THEN pg_catalog.pg_get_expr(r.relpartbound, 0) END,
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
