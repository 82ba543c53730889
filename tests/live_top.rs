//! `planlint top` against the test servers: a workload in which one query that scans every
//! partition of `orders` dominates the time, read from pg_stat_statements (which
//! `scripts/test.sh` preloads) on the primary, on its hot standby and through PgBouncer.

use postgres::{Client, NoTls};
use predicates::prelude::*;
use serde_json::Value;

mod common;
use common::{check_json, database_url, planlint, url_from, with};

const ROLE: &str = "planlint_top";

/// The role, the extension and the grants the workload needs, made once.
fn prepare(url: &str) {
    let mut admin = Client::connect(url, NoTls).unwrap();
    admin
        .batch_execute(&format!(
            "CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
             DO $$ BEGIN
                 IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') THEN
                     CREATE ROLE {ROLE} LOGIN;
                 END IF;
             END $$;
             GRANT SELECT ON ALL TABLES IN SCHEMA public TO {ROLE};"
        ))
        .unwrap();
}

/// Runs the workload as the role on `url`: the unpruned scan of every partition, and a cheap
/// lookup, each many times with different values (one statement each in pg_stat_statements).
fn run_workload(url: &str) {
    let mut client = Client::connect(&with(url, "user", ROLE), NoTls).unwrap();
    for value in 0..25_i32 {
        client
            .query("SELECT * FROM orders WHERE customer_id = $1", &[&value])
            .unwrap();
        client
            .query(
                "SELECT * FROM countries WHERE code = $1",
                &[&format!("C{value}")],
            )
            .unwrap();
    }
}

/// Clears the statistics of the database `url` names.
fn reset(url: &str) {
    let mut admin = Client::connect(url, NoTls).unwrap();
    admin
        .batch_execute(
            "SELECT pg_stat_statements_reset(0, \
             (SELECT oid FROM pg_database WHERE datname = current_database()), 0)",
        )
        .unwrap();
}

/// `planlint top --user ROLE --format json` on `url`.
fn top(url: &str) -> (Value, i32, String) {
    let output = planlint()
        .args(["top", "--db", url, "--user", ROLE, "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let report =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|error| panic!("{error}: {stderr}"));
    (report, output.status.code().unwrap_or(-1), stderr)
}

/// The dominating statement comes first, with its calls and share and the unpruned-partitions
/// finding; the cheap one comes second.
fn assert_ranked(report: &Value, stderr: &str) {
    let results = report["results"].as_array().expect("results");
    assert_eq!(results.len(), 2, "{report}\n{stderr}");
    let first = &results[0];
    assert_eq!(
        first["query"], "SELECT * FROM orders WHERE customer_id = $1",
        "{report}"
    );
    assert_eq!(first["calls"], 25, "{report}");
    let share = first["share"].as_f64().unwrap();
    assert!(
        share > 0.5,
        "the scan of every partition dominates: {report}"
    );
    let mean = first["mean_time_ms"].as_f64().unwrap();
    let total = first["total_time_ms"].as_f64().unwrap();
    assert!(
        (total / 25.0 - mean).abs() < 1e-6 * total.max(1.0),
        "{report}"
    );
    let rules: Vec<&str> = first["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"unpruned-partitions"), "{report}");
    // A plain plan tells no node's time: each finding accounts for at most the statement's.
    for finding in first["findings"].as_array().unwrap() {
        assert_eq!(finding["impact"]["basis"], "statement-time", "{report}");
        assert_eq!(
            finding["impact"]["time_ms"], first["total_time_ms"],
            "{report}"
        );
    }
    assert_eq!(
        results[1]["query"], "SELECT * FROM countries WHERE code = $1",
        "{report}"
    );
    let covered = report["summary"]["time_with_findings"].as_f64().unwrap();
    assert!(covered >= share - 1e-9, "{report}");
}

#[test]
fn top_ranks_the_unpruned_scan_first_on_the_primary_the_standby_and_through_pgbouncer() {
    let Some(url) = database_url() else { return };
    let Some(replica) = url_from(
        "PLANLINT_TEST_REPLICA_URL",
        "a hot standby of the test server",
    ) else {
        return;
    };
    let Some(pgbouncer) = url_from(
        "PLANLINT_TEST_PGBOUNCER_URL",
        "PgBouncer in transaction-pooling mode",
    ) else {
        return;
    };
    prepare(&url);

    reset(&url);
    run_workload(&url);
    let (report, code, stderr) = top(&url);
    assert_eq!(code, 1, "{stderr}");
    assert_ranked(&report, &stderr);
    // Through PgBouncer: the same database, the same statements.
    let (report, _, stderr) = top(&pgbouncer);
    assert_ranked(&report, &stderr);

    // The standby keeps statistics of its own: the workload runs there too, once the role
    // and its grants have been replayed.
    let mut standby = Client::connect(&replica, NoTls).unwrap();
    for _ in 0..100 {
        let replayed = standby
            .query_one(
                "SELECT has_table_privilege($1, 'orders', 'SELECT') \
                 FROM pg_roles WHERE rolname = $1",
                &[&ROLE],
            )
            .map(|row| row.get::<_, bool>(0))
            .unwrap_or(false);
        if replayed {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    reset(&replica);
    run_workload(&replica);
    let (report, _, stderr) = top(&replica);
    assert_ranked(&report, &stderr);
}

#[test]
fn top_says_how_to_enable_pg_stat_statements_when_it_is_missing() {
    let Some(url) = database_url() else { return };
    let mut admin = Client::connect(&url, NoTls).unwrap();
    let exists = admin
        .query_opt(
            "SELECT FROM pg_database WHERE datname = 'planlint_top_missing'",
            &[],
        )
        .unwrap()
        .is_some();
    if !exists {
        admin
            .batch_execute("CREATE DATABASE planlint_top_missing")
            .unwrap();
    }
    planlint()
        .args(["top", "--db", &with(&url, "dbname", "planlint_top_missing")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "pg_stat_statements is loaded but not installed in database planlint_top_missing: \
             CREATE EXTENSION pg_stat_statements",
        ));
    // `check` still works there: top's needs are its own.
    let (_, code, stderr) =
        check_json(&with(&url, "dbname", "planlint_top_missing"), &["SELECT 1"]);
    assert_eq!(code, 0, "{stderr}");
}
