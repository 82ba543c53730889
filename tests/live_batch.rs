//! Live mode over hundreds of statements, proven from the server's side: `planlint check` opens
//! one connection (pg_stat_database.sessions of a database made for the test) and fetches the
//! catalog facts once (pg_stat_statements, which `scripts/test.sh` preloads), explaining each
//! statement exactly once. Under CI this test never skips.

use std::time::{Duration, Instant};

use postgres::{Client, NoTls};

mod common;
use common::{check_json, database_url, with};

/// How many statements the batch holds.
const STATEMENTS: usize = 300;

/// The database and role made for the test, which nothing else uses.
const DATABASE: &str = "planlint_batch";

/// Whether the server has pg_stat_statements loaded; under CI it must.
fn pg_stat_statements_loaded(admin: &mut Client) -> bool {
    let libraries: String = admin
        .query_one("SELECT current_setting('shared_preload_libraries')", &[])
        .unwrap()
        .get(0);
    if libraries.contains("pg_stat_statements") {
        true
    } else if std::env::var("CI").is_ok_and(|ci| ci == "true") {
        panic!(
            "CI=true but pg_stat_statements is not preloaded: run the suite with scripts/test.sh"
        )
    } else {
        eprintln!(
            "SKIPPED: needs pg_stat_statements in shared_preload_libraries (scripts/test.sh)"
        );
        false
    }
}

/// A fresh database with a partitioned table and a plain one, readable by the test's role.
fn create_database(admin: &mut Client, url: &str) {
    // Each on its own: DROP and CREATE DATABASE refuse to run in a transaction block.
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        .unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {DATABASE}"))
        .unwrap();
    admin
        .batch_execute(&format!(
            "DO $$ BEGIN
                 IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{DATABASE}') THEN
                     CREATE ROLE {DATABASE} LOGIN;
                 END IF;
             END $$;"
        ))
        .unwrap();
    let mut setup = Client::connect(&with(url, "dbname", DATABASE), NoTls).unwrap();
    setup
        .batch_execute(&format!(
            "CREATE SCHEMA planlint_stats;
             CREATE EXTENSION pg_stat_statements SCHEMA planlint_stats;
             CREATE TABLE orders (order_id bigint NOT NULL, customer_id int NOT NULL,
                                  status text NOT NULL) PARTITION BY RANGE (order_id);
             CREATE TABLE orders_p1 PARTITION OF orders FOR VALUES FROM (1) TO (10001);
             CREATE TABLE orders_p2 PARTITION OF orders FOR VALUES FROM (10001) TO (20001);
             CREATE TABLE orders_p3 PARTITION OF orders FOR VALUES FROM (20001) TO (30001);
             CREATE TABLE orders_p4 PARTITION OF orders FOR VALUES FROM (30001) TO (40001);
             INSERT INTO orders SELECT g, g * 7 % 5000, 'new' FROM generate_series(1, 40000) AS g;
             CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL);
             INSERT INTO customers SELECT g, 'user' || g || '@example.com'
                 FROM generate_series(1, 20000) AS g;
             ANALYZE;
             GRANT SELECT ON orders, customers TO {DATABASE};"
        ))
        .unwrap();
}

/// The batch: four kinds of statement (unpruned partitions, pruned, an index lookup, a
/// sequential scan for a missing index), each text different.
fn statements() -> String {
    (0..STATEMENTS)
        .map(|i| match i % 4 {
            0 => format!("SELECT * FROM orders WHERE customer_id = {i};\n"),
            1 => format!("SELECT * FROM orders WHERE order_id = {};\n", i * 97 + 1),
            2 => format!("SELECT * FROM customers WHERE id = {i};\n"),
            _ => format!("SELECT * FROM customers WHERE email = 'user{i}@example.com';\n"),
        })
        .collect()
}

/// Sessions ever opened in the test's database, once no backend is left in it (a backend
/// counts its session in the statistics by the time it exits).
fn sessions(admin: &mut Client) -> i64 {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let connected: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1",
                &[&DATABASE],
            )
            .unwrap()
            .get(0);
        if connected == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{connected} backends stay in {DATABASE}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    admin
        .batch_execute("SELECT pg_stat_clear_snapshot()")
        .unwrap();
    admin
        .query_one(
            "SELECT sessions FROM pg_stat_database WHERE datname = $1",
            &[&DATABASE],
        )
        .unwrap()
        .get(0)
}

#[test]
fn a_batch_of_hundreds_of_statements_takes_one_connection_and_one_catalog_read() {
    let Some(url) = database_url() else { return };
    let mut admin = Client::connect(&url, NoTls).unwrap();
    if !pg_stat_statements_loaded(&mut admin) {
        return;
    }
    create_database(&mut admin, &url);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("batch.sql");
    std::fs::write(&file, statements()).unwrap();

    let before = sessions(&mut admin);
    let conninfo = with(&with(&url, "dbname", DATABASE), "user", DATABASE);
    let (report, code, stderr) = check_json(
        &conninfo,
        &["--fail-on", "never", "-f", file.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["summary"]["plans"], STATEMENTS, "{stderr}");
    assert_eq!(report["errors"].as_array().unwrap().len(), 0);
    assert_eq!(
        sessions(&mut admin) - before,
        1,
        "planlint opened exactly one connection"
    );

    // The catalog facts reached the last statements too: the partition key comes from them.
    let results = report["results"].as_array().unwrap();
    let last_unpruned = &results[STATEMENTS - 4]["findings"];
    assert!(
        last_unpruned.to_string().contains("(RANGE on order_id)"),
        "{last_unpruned}"
    );

    // What planlint's role sent to the test's database, by statement text (constants folded).
    let mut reader = Client::connect(&with(&url, "dbname", DATABASE), NoTls).unwrap();
    let sent: Vec<(String, i64)> = reader
        .query(
            "SELECT query, calls FROM planlint_stats.pg_stat_statements
             WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
               AND userid = $1::text::regrole",
            &[&DATABASE],
        )
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    let calls = |keep: &dyn Fn(&str) -> bool| -> i64 {
        sent.iter()
            .filter(|(query, _)| keep(query))
            .map(|(_, calls)| calls)
            .sum()
    };
    let starts = |prefixes: &'static [&'static str]| {
        move |query: &str| prefixes.iter().any(|prefix| query.starts_with(prefix))
    };
    assert_eq!(
        calls(&starts(&["EXPLAIN"])),
        STATEMENTS as i64,
        "each statement explained once"
    );
    assert_eq!(
        calls(&starts(&["ROLLBACK"])),
        STATEMENTS as i64 + 1,
        "one transaction per statement and one for the catalog, all rolled back"
    );
    let wrapper = starts(&["EXPLAIN", "START TRANSACTION", "SET LOCAL", "ROLLBACK"]);
    let others: Vec<&(String, i64)> = sent.iter().filter(|(query, _)| !wrapper(query)).collect();
    // The catalog read: the lock list, the settings that narrow the snapshot, the snapshot.
    let catalog_read = [
        "pg_catalog.pg_locks",
        "pg_catalog.set_config(",
        "pg_get_partkeydef",
    ];
    assert_eq!(
        others.len(),
        catalog_read.len(),
        "only the catalog read besides: {others:#?}"
    );
    for part in catalog_read {
        let (query, calls) = others
            .iter()
            .find(|(query, _)| query.contains(part))
            .unwrap_or_else(|| panic!("{part} was sent: {others:#?}"));
        assert_eq!(*calls, 1, "the catalog facts were fetched once: {query}");
    }
}
