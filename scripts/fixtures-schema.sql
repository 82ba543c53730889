-- fixtures-schema.sql — the schema behind planlint's captured test fixtures.
--
-- Loaded by scripts/capture-fixtures.sh into a throwaway PostgreSQL 15 server
-- (scripts/pg-temp.sh); run with psql -X -v ON_ERROR_STOP=1 -f. Data come from
-- generate_series with deterministic arithmetic (no random()), so re-running produces the same
-- rows; only ANALYZE's sampling can move row estimates slightly.
--
-- The section between "BEGIN example" and "END example" is copied verbatim to
-- examples/schema.sql by the capture script: keep it self-contained.

\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET synchronous_commit = off;

DROP TABLE IF EXISTS orders, customers, measurements, accounts_by_region, sessions, sales,
    countries, products CASCADE;

-- BEGIN example
-- orders: range-partitioned by order_id, 8 partitions of 50,000 orders each.
-- No index on customer_id: a query by customer reads every partition.
CREATE TABLE orders (
    order_id    bigint        NOT NULL,
    customer_id int           NOT NULL,
    created_at  timestamptz   NOT NULL,
    status      text          NOT NULL,
    amount      numeric(12,2) NOT NULL,
    PRIMARY KEY (order_id)
) PARTITION BY RANGE (order_id);

CREATE TABLE orders_p1 PARTITION OF orders FOR VALUES FROM (1)      TO (50001);
CREATE TABLE orders_p2 PARTITION OF orders FOR VALUES FROM (50001)  TO (100001);
CREATE TABLE orders_p3 PARTITION OF orders FOR VALUES FROM (100001) TO (150001);
CREATE TABLE orders_p4 PARTITION OF orders FOR VALUES FROM (150001) TO (200001);
CREATE TABLE orders_p5 PARTITION OF orders FOR VALUES FROM (200001) TO (250001);
CREATE TABLE orders_p6 PARTITION OF orders FOR VALUES FROM (250001) TO (300001);
CREATE TABLE orders_p7 PARTITION OF orders FOR VALUES FROM (300001) TO (350001);
CREATE TABLE orders_p8 PARTITION OF orders FOR VALUES FROM (350001) TO (400001);

-- customers: a plain table; no index on email.
CREATE TABLE customers (
    id            int         PRIMARY KEY,
    email         text        NOT NULL,
    region        text        NOT NULL,
    last_order_id bigint,
    created_at    timestamptz NOT NULL
);
-- END example

INSERT INTO orders (order_id, customer_id, created_at, status, amount)
SELECT g,
       (g * 7919) % 100000 + 1,
       timestamptz '2023-01-01 00:00:00+00' + g * interval '1 minute',
       (ARRAY['new', 'paid', 'shipped', 'delivered', 'cancelled'])[g % 5 + 1],
       ((g * 37) % 100000) / 100.0
FROM generate_series(1::bigint, 400000) AS g;

-- last_order_id = 4 * id: the customers with the smallest ids ordered from orders_p1 only.
INSERT INTO customers (id, email, region, last_order_id, created_at)
SELECT g,
       'user' || g || '@example.com',
       (ARRAY['eu', 'us', 'apac', 'latam'])[g % 4 + 1],
       4 * g,
       timestamptz '2022-01-01 00:00:00+00' + g * interval '5 minutes'
FROM generate_series(1, 100000) AS g;

-- measurements: range-partitioned by a timestamptz, one partition per month of 2024 plus a
-- DEFAULT partition (which gets 2023 stragglers), ~20k rows per month, index on created_at.
CREATE TABLE measurements (
    id         bigint           NOT NULL,
    sensor_id  int              NOT NULL,
    created_at timestamptz      NOT NULL,
    value      double precision NOT NULL
) PARTITION BY RANGE (created_at);

DO $$
BEGIN
    FOR m IN 1..12 LOOP
        EXECUTE format(
            'CREATE TABLE measurements_2024_%s PARTITION OF measurements FOR VALUES FROM (%L) TO (%L)',
            lpad(m::text, 2, '0'),
            make_timestamptz(2024, m, 1, 0, 0, 0, 'UTC'),
            make_timestamptz(2024, 1, 1, 0, 0, 0, 'UTC') + make_interval(months => m));
    END LOOP;
END
$$;
CREATE TABLE measurements_default PARTITION OF measurements DEFAULT;
CREATE INDEX measurements_created_at_idx ON measurements (created_at);

-- 240,000 readings over 2024 (one every ~2.2 minutes) plus 2,000 from December 2023.
INSERT INTO measurements (id, sensor_id, created_at, value)
SELECT g,
       g % 50 + 1,
       timestamptz '2024-01-01 00:00:00+00' + (g - 1) * (interval '366 days' / 240000),
       ((g * 7) % 1000) / 10.0
FROM generate_series(1, 240000) AS g;
INSERT INTO measurements (id, sensor_id, created_at, value)
SELECT 240000 + g,
       g % 50 + 1,
       timestamptz '2023-12-01 00:00:00+00' + g * interval '20 minutes',
       ((g * 7) % 1000) / 10.0
FROM generate_series(1, 2000) AS g;

-- accounts_by_region: list-partitioned by region, 4 listed regions + DEFAULT.
CREATE TABLE accounts_by_region (
    account_id bigint        NOT NULL,
    region     text          NOT NULL,
    name       text          NOT NULL,
    balance    numeric(14,2) NOT NULL
) PARTITION BY LIST (region);
CREATE TABLE accounts_by_region_eu      PARTITION OF accounts_by_region FOR VALUES IN ('eu');
CREATE TABLE accounts_by_region_us      PARTITION OF accounts_by_region FOR VALUES IN ('us');
CREATE TABLE accounts_by_region_apac    PARTITION OF accounts_by_region FOR VALUES IN ('apac');
CREATE TABLE accounts_by_region_latam   PARTITION OF accounts_by_region FOR VALUES IN ('latam');
CREATE TABLE accounts_by_region_default PARTITION OF accounts_by_region DEFAULT;

INSERT INTO accounts_by_region (account_id, region, name, balance)
SELECT g,
       (ARRAY['eu', 'us', 'apac', 'latam', 'mea'])[g % 5 + 1],
       'account ' || g,
       ((g * 53) % 1000000) / 100.0
FROM generate_series(1, 50000) AS g;

-- sessions: hash-partitioned by user_id into 8 partitions.
CREATE TABLE sessions (
    session_id bigint      NOT NULL,
    user_id    int         NOT NULL,
    started_at timestamptz NOT NULL,
    duration   interval    NOT NULL
) PARTITION BY HASH (user_id);
DO $$
BEGIN
    FOR r IN 0..7 LOOP
        EXECUTE format(
            'CREATE TABLE sessions_%s PARTITION OF sessions FOR VALUES WITH (MODULUS 8, REMAINDER %s)',
            r, r);
    END LOOP;
END
$$;

INSERT INTO sessions (session_id, user_id, started_at, duration)
SELECT g,
       g % 10000 + 1,
       timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute',
       (g % 3600) * interval '1 second'
FROM generate_series(1, 80000) AS g;

-- sales: two levels. RANGE (sold_at) by year, each year LIST (region) into eu, us and DEFAULT.
CREATE TABLE sales (
    sale_id bigint        NOT NULL,
    sold_at date          NOT NULL,
    region  text          NOT NULL,
    amount  numeric(12,2) NOT NULL
) PARTITION BY RANGE (sold_at);
CREATE TABLE sales_2023 PARTITION OF sales
    FOR VALUES FROM ('2023-01-01') TO ('2024-01-01') PARTITION BY LIST (region);
CREATE TABLE sales_2024 PARTITION OF sales
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01') PARTITION BY LIST (region);
CREATE TABLE sales_2023_eu    PARTITION OF sales_2023 FOR VALUES IN ('eu');
CREATE TABLE sales_2023_us    PARTITION OF sales_2023 FOR VALUES IN ('us');
CREATE TABLE sales_2023_other PARTITION OF sales_2023 DEFAULT;
CREATE TABLE sales_2024_eu    PARTITION OF sales_2024 FOR VALUES IN ('eu');
CREATE TABLE sales_2024_us    PARTITION OF sales_2024 FOR VALUES IN ('us');
CREATE TABLE sales_2024_other PARTITION OF sales_2024 DEFAULT;

INSERT INTO sales (sale_id, sold_at, region, amount)
SELECT g,
       date '2023-01-01' + (g % 731),
       (ARRAY['eu', 'us', 'apac', 'latam'])[g % 4 + 1],
       ((g * 97) % 50000) / 100.0
FROM generate_series(1, 60000) AS g;

-- countries: tiny (200 rows); a sequential scan of it is always fine.
CREATE TABLE countries (
    code text PRIMARY KEY,
    name text NOT NULL
);
INSERT INTO countries (code, name)
SELECT 'C' || lpad(g::text, 3, '0'), 'Country ' || g
FROM generate_series(1, 200) AS g;

-- products: an unrelated plain table, for a UNION ALL that is not a partition Append.
CREATE TABLE products (
    id    int           PRIMARY KEY,
    name  text          NOT NULL,
    price numeric(10,2) NOT NULL
);
INSERT INTO products (id, name, price)
SELECT g, 'product ' || g, ((g * 31) % 10000) / 100.0
FROM generate_series(1, 5000) AS g;

-- A statistics target high enough that ANALYZE reads every row of every table here (its sample
-- is 300 x target rows): statistics, hence estimates and plain EXPLAIN output, are then the same
-- on every run.
SET default_statistics_target = 1000;
VACUUM ANALYZE;
