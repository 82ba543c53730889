//! Live mode against PostgreSQL 12 and 18, the oldest and the newest version planlint supports
//! (15, with HypoPG, a standby, PgBouncer and TLS, is tests/live.rs and its siblings).
//! scripts/test-versions.sh starts both with the fixture schema and sets
//! PLANLINT_TEST_PG12_URL and PLANLINT_TEST_PG18_URL; under CI these tests never skip.
//!
//! Each test runs on every version whose server is there: the small live set of each version
//! (most version tests are offline, on the captures of tests/fixtures/plans/<major>/).
//! `PLANLINT_TEST_VERSIONS` (e.g. "16 17", as scripts/test-versions.sh reads it too) runs them
//! on other versions instead.

use std::collections::BTreeSet;

use predicates::prelude::*;
use serde_json::Value;

mod common;
use common::{check_json, finding_of, planlint, url_from};

/// The versions these tests run on: `PLANLINT_TEST_VERSIONS`, by default 12 and 18.
fn versions() -> Vec<u32> {
    let listed = std::env::var("PLANLINT_TEST_VERSIONS").unwrap_or_else(|_| "12 18".to_owned());
    listed
        .split_whitespace()
        .map(|major| {
            major
                .parse()
                .unwrap_or_else(|_| panic!("PLANLINT_TEST_VERSIONS: {major:?} is no version"))
        })
        .collect()
}

/// (major, conninfo) of each version's test server; without one, CI fails and a local run says
/// it skips.
fn servers() -> Vec<(u32, String)> {
    versions()
        .into_iter()
        .filter_map(|major| {
            let variable = format!("PLANLINT_TEST_PG{major}_URL");
            let what = format!("a PostgreSQL {major} server (scripts/test-versions.sh)");
            url_from(&variable, &what).map(|url| (major, url))
        })
        .collect()
}

/// The server's major version, as it reports it.
fn server_major(url: &str) -> u32 {
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let number: String = client
        .query_one("SHOW server_version_num", &[])
        .unwrap()
        .get(0);
    number.parse::<u32>().unwrap() / 10_000
}

fn count_rows(url: &str, table: &str) -> i64 {
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    client
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .unwrap()
        .get(0)
}

/// The rules of a report's first result.
fn rules(report: &Value) -> BTreeSet<String> {
    report["results"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["rule"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn each_server_is_the_version_it_claims() {
    for (major, url) in servers() {
        assert_eq!(server_major(&url), major, "{url}");
    }
}

#[test]
fn check_gives_the_exact_partition_verdict_from_the_live_catalog() {
    for (major, url) in servers() {
        planlint()
            .args([
                "check",
                "--db",
                &url,
                "SELECT * FROM orders WHERE customer_id = 4242",
            ])
            .assert()
            .code(1)
            .stdout(predicate::str::contains(
                "scanned 8 of 8 partitions of orders (RANGE on order_id)",
            ))
            .stdout(predicate::str::contains(
                "no index on orders starts with customer_id",
            ));
        let (report, code, stderr) = check_json(
            &url,
            &["SELECT * FROM orders WHERE order_id BETWEEN 40000 AND 60000"],
        );
        assert_eq!(code, 0, "PostgreSQL {major}: {stderr}");
        let scan = &report["results"][0]["partitions"][0];
        assert_eq!(
            (&scan["partitions_in_plan"], &scan["partitions_total"]),
            (&Value::from(2), &Value::from(8)),
            "PostgreSQL {major}: {scan}"
        );
        // One partition left: 12 names its scan by the partition's own name, and the statement
        // says it was read for orders.
        let (report, code, stderr) =
            check_json(&url, &["SELECT * FROM orders WHERE order_id = 123"]);
        assert_eq!(code, 0, "PostgreSQL {major}: {stderr}");
        let scan = &report["results"][0]["partitions"][0];
        assert_eq!(scan["parent"], "orders", "PostgreSQL {major}: {report}");
        assert_eq!(scan["pruned_at"], serde_json::json!(["plan"]), "{major}");
    }
}

#[test]
fn parameterised_statements_are_checked_as_generic_plans() {
    for (major, url) in servers() {
        let (report, code, stderr) = check_json(
            &url,
            &["--param", "123", "SELECT * FROM orders WHERE order_id = $1"],
        );
        assert_eq!(code, 0, "PostgreSQL {major}: {stderr}");
        let scan = &report["results"][0]["partitions"][0];
        assert_eq!(
            (&scan["removed_at_startup"], &scan["pruned_at"]),
            (&Value::from(7), &serde_json::json!(["startup"])),
            "PostgreSQL {major}: start-up pruning of the generic plan: {scan}"
        );
        let (report, code, stderr) =
            check_json(&url, &["SELECT * FROM orders WHERE customer_id = $1"]);
        assert_eq!(code, 1, "PostgreSQL {major}: {stderr}");
        assert!(
            rules(&report).contains("unpruned-partitions"),
            "PostgreSQL {major}: {report}"
        );
    }
}

#[test]
fn the_catalog_snapshot_reads_every_version() {
    for (major, url) in servers() {
        let output = planlint()
            .args(["catalog", "--db", &url, "--for", "SELECT * FROM orders"])
            .output()
            .unwrap();
        assert!(output.status.success(), "PostgreSQL {major}: {output:?}");
        let document: Value = serde_json::from_slice(&output.stdout).unwrap();
        let relations = document["relations"].as_array().unwrap();
        assert_eq!(
            relations.len(),
            9,
            "PostgreSQL {major}: orders and its 8 partitions"
        );
        let orders = relations
            .iter()
            .find(|relation| relation["name"] == "orders")
            .unwrap();
        assert_eq!(
            orders["partition_key"]["definition"], "RANGE (order_id)",
            "PostgreSQL {major}: {orders}"
        );
        // The whole snapshot, as scripts/capture-fixtures.sh took it from the same schema.
        let output = planlint().args(["catalog", "--db", &url]).output().unwrap();
        assert!(output.status.success(), "PostgreSQL {major}: {output:?}");
        let live: Value = serde_json::from_slice(&output.stdout).unwrap();
        let captured_path = if major == 15 {
            "tests/fixtures/catalog.json".to_owned()
        } else {
            format!("tests/fixtures/plans/{major}/catalog.json")
        };
        let captured: Value =
            serde_json::from_str(&std::fs::read_to_string(captured_path).unwrap()).unwrap();
        let names = |document: &Value| -> BTreeSet<String> {
            document["relations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|relation| relation["name"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(names(&live), names(&captured), "PostgreSQL {major}");
    }
}

#[test]
fn verify_replans_the_rewrite_and_says_once_that_hypopg_is_missing() {
    for (major, url) in servers() {
        // Two statements whose indexes --verify would try with HypoPG, which these builds lack.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("queries.sql");
        std::fs::write(
            &file,
            "SELECT * FROM customers WHERE email = 'user4242@example.com';\n\
             SELECT * FROM orders WHERE customer_id = 42;\n",
        )
        .unwrap();
        let (report, code, stderr) = check_json(&url, &["--verify", "-f", file.to_str().unwrap()]);
        assert_eq!(code, 1, "PostgreSQL {major}: {stderr}");
        assert_eq!(
            stderr.matches("HypoPG is not installed").count(),
            1,
            "PostgreSQL {major}: {stderr}"
        );
        for result in report["results"].as_array().unwrap() {
            let index = result["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|finding| finding["rule"] == "missing-index")
                .unwrap_or_else(|| panic!("PostgreSQL {major}: {result}"));
            assert!(index["verified"].is_null(), "PostgreSQL {major}: {index}");
        }
        // The rewrite of a function on the key is re-planned without HypoPG.
        let (report, code, stderr) = check_json(
            &url,
            &[
                "--verify",
                "SELECT * FROM measurements WHERE date_trunc('day', created_at) = '2024-03-15'",
            ],
        );
        assert_eq!(code, 1, "PostgreSQL {major}: {stderr}");
        let finding = finding_of(&report, "unpruned-partitions").expect("the scan is unpruned");
        assert_eq!(finding["cause_kind"], "function-on-key", "{major}");
        let verified = &finding["verified"];
        // On 12 the rewrite's plan is one partition named by itself, which only the rewrite's
        // statement tells from a query of that partition: verify reads it with its tables.
        let after = 1;
        assert_eq!(
            (
                &verified["method"],
                &verified["partitions_before"],
                &verified["partitions_after"]
            ),
            (
                &Value::from("replan"),
                &Value::from(13),
                &Value::from(after)
            ),
            "PostgreSQL {major}: {finding}"
        );
    }
}

#[test]
fn a_delete_under_analyze_is_refused_and_changes_nothing() {
    for (major, url) in servers() {
        let before = count_rows(&url, "customers");
        planlint()
            .args([
                "check",
                "--db",
                &url,
                "--analyze",
                "DELETE FROM customers WHERE id < 100",
            ])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("refused without --allow-writes"));
        assert_eq!(count_rows(&url, "customers"), before, "PostgreSQL {major}");
        // With --allow-writes it runs, and is rolled back.
        let (report, code, stderr) = check_json(
            &url,
            &[
                "--analyze",
                "--allow-writes",
                "DELETE FROM customers WHERE id < 100",
            ],
        );
        assert_eq!(code, 0, "PostgreSQL {major}: {stderr}");
        assert_eq!(report["summary"]["plans"], 1, "{major}");
        assert_eq!(count_rows(&url, "customers"), before, "PostgreSQL {major}");
    }
}
