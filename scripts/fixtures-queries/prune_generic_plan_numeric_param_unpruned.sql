-- Pruning cause: a generic plan whose parameter has the wrong type. q's $1 is declared numeric,
-- so the parser casts the bigint key ((order_id)::numeric = $1) and nothing prunes in any phase
-- (a custom plan would not prune either): all 8 partitions are scanned sequentially for one row.
-- Fix: declare the parameter bigint (compare orders_generic_plan_startup_pruning).
-- expect: (SELECT count(*) FROM pg_temp.nodes(plan) n WHERE n->>'Relation Name' LIKE 'orders\_p_' AND n->>'Node Type' LIKE '%Seq Scan') = 8
-- expect: (SELECT count(*) FROM pg_temp.nodes(plan) n WHERE n->>'Filter' = '((order_id)::numeric = $1)') = 8
-- expect: EXISTS (SELECT FROM pg_temp.nodes(plan) n WHERE n->>'Node Type' = 'Append' AND (n->>'Subplans Removed')::int = 0 AND jsonb_array_length(n->'Plans') = 8)
PREPARE q(numeric) AS SELECT * FROM orders WHERE order_id = $1;
SET plan_cache_mode = force_generic_plan;
EXECUTE q(123);
