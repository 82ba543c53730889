-- An UPDATE of the partitioned orders filtered on customer_id, not the key: every partition is
-- scanned and updated. PostgreSQL 14 and later read the partitions through an Append under the
-- ModifyTable; 12 and 13 put the partition scans directly under it. The statement runs under
-- EXPLAIN ANALYZE inside a transaction that the end of the session rolls back.
-- expect: plan->0->'Plan'->>'Node Type' = 'ModifyTable' AND plan->0->'Plan'->>'Operation' = 'Update' AND plan->0->'Plan'->>'Relation Name' = 'orders'
-- expect(14+): plan->0->'Plan'->'Plans'->0->>'Node Type' = 'Append' AND jsonb_array_length(plan->0->'Plan'->'Plans'->0->'Plans') = 8
-- expect(12-13): jsonb_array_length(plan->0->'Plan'->'Plans') = 8 AND (SELECT bool_and(c->>'Node Type' = 'Seq Scan') FROM jsonb_array_elements(plan->0->'Plan'->'Plans') c)
BEGIN;
UPDATE orders SET status = 'checked' WHERE customer_id = 4242;
