//! Live mode through the topologies planlint meets in production: a hot standby streaming from
//! the test server (PLANLINT_TEST_REPLICA_URL) and PgBouncer in transaction-pooling mode in front
//! of it (PLANLINT_TEST_PGBOUNCER_URL). `scripts/test.sh` sets both up; under CI these tests
//! never skip.

use std::path::{Path, PathBuf};
use std::thread;

use predicates::prelude::*;
use serde_json::{json, Value};

mod common;
use common::{check_json, planlint, url_from};

/// The statements whose verdicts must not depend on where they are checked.
const STATEMENTS: &[&str] = &[
    "SELECT * FROM orders WHERE customer_id = 4242",
    "SELECT * FROM orders WHERE order_id BETWEEN 40000 AND 60000",
    "SELECT * FROM customers WHERE email = 'user4242@example.com'",
    "SELECT * FROM orders WHERE order_id = $1",
];

fn primary_url() -> Option<String> {
    url_from("PLANLINT_TEST_DATABASE_URL", "the test server")
}

/// The primary and its hot standby.
fn replica_urls() -> Option<(String, String)> {
    Some((
        primary_url()?,
        url_from(
            "PLANLINT_TEST_REPLICA_URL",
            "a hot standby of the test server",
        )?,
    ))
}

/// The primary and PgBouncer in front of it.
fn pgbouncer_urls() -> Option<(String, String)> {
    Some((
        primary_url()?,
        url_from(
            "PLANLINT_TEST_PGBOUNCER_URL",
            "PgBouncer in transaction-pooling mode",
        )?,
    ))
}

/// A file of `statements`, one after another, in `dir`.
fn sql_file(dir: &Path, name: &str, statements: &[&str]) -> PathBuf {
    let file = dir.join(name);
    let text: String = statements.iter().map(|s| format!("{s};\n")).collect();
    std::fs::write(&file, text).unwrap();
    file
}

/// Every run of digits (with the separators inside it) as `#`: EXPLAIN ANALYZE's actual row
/// counts are averages over parallel workers, rounded, and move by a few rows between runs.
fn mask_numbers(text: &str) -> String {
    let mut masked = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            while chars
                .next_if(|n| n.is_ascii_digit() || *n == ',' || *n == '.')
                .is_some()
            {}
            masked.push('#');
        } else {
            masked.push(c);
        }
    }
    masked
}

/// What two servers with the same data and statistics must agree on, statement by statement:
/// the source, every finding's rule, code, severity and message (numbers masked under
/// `--analyze`), and every partition summary.
fn verdicts(report: &Value, analyze: bool) -> Vec<Value> {
    report["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no results in {report}"))
        .iter()
        .map(|result| {
            let findings: Vec<Value> = result["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    let message = f["message"].as_str().unwrap();
                    json!({
                        "rule": f["rule"],
                        "code": f["code"],
                        "severity": f["severity"],
                        "message": if analyze { mask_numbers(message) } else { message.to_owned() },
                    })
                })
                .collect();
            json!({
                "source": result["source"],
                "findings": findings,
                "partitions": result["partitions"],
            })
        })
        .collect()
}

fn rules(verdict: &Value) -> Vec<&str> {
    verdict["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect()
}

/// `partitions_in_plan` of a statement's first partitioned scan.
fn partitions_in_plan(result: &Value) -> Option<u64> {
    result["partitions"][0]["partitions_in_plan"].as_u64()
}

/// `planlint catalog --db URL --for SQL` as a JSON document.
fn catalog(url: &str, for_sql: &str) -> Value {
    let output = planlint()
        .args(["catalog", "--db", url, "--for", for_sql])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "planlint catalog --db {url}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn relation_names(document: &Value) -> Vec<&str> {
    document["relations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect()
}

#[test]
fn the_replica_is_a_hot_standby_that_has_the_data() {
    let Some((_, replica)) = replica_urls() else {
        return;
    };
    let mut client = postgres::Client::connect(&replica, postgres::NoTls).unwrap();
    let row = client
        .query_one(
            "SELECT pg_is_in_recovery(), (SELECT count(*) FROM orders)",
            &[],
        )
        .unwrap();
    assert!(row.get::<_, bool>(0), "the replica is not in recovery");
    assert_eq!(row.get::<_, i64>(1), 400_000);
}

#[test]
fn the_replica_gives_the_primary_s_verdicts_with_and_without_analyze() {
    let Some((primary, replica)) = replica_urls() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = sql_file(dir.path(), "queries.sql", STATEMENTS);
    let file = file.to_str().unwrap();
    for analyze in [false, true] {
        let mut args = vec!["--param", "123", "-f", file];
        if analyze {
            args.push("--analyze");
        }
        let (on_primary, code, stderr) = check_json(&primary, &args);
        assert_eq!(code, 1, "primary, analyze={analyze}: {stderr}");
        let (on_replica, replica_code, replica_stderr) = check_json(&replica, &args);
        assert_eq!(
            replica_code, 1,
            "replica, analyze={analyze}: {replica_stderr}"
        );
        assert_eq!(on_replica["errors"], json!([]), "analyze={analyze}");
        let expected = verdicts(&on_primary, analyze);
        assert_eq!(
            verdicts(&on_replica, analyze),
            expected,
            "analyze={analyze}"
        );
        // Not two empty reports agreeing: the verdicts are the ones the primary is known for.
        assert_eq!(expected.len(), STATEMENTS.len());
        assert!(rules(&expected[0]).contains(&"unpruned-partitions"));
        assert!(rules(&expected[2]).contains(&"missing-index"));
        let counts: Vec<Option<u64>> = on_replica["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(partitions_in_plan)
            .collect();
        assert_eq!(counts, [Some(8), Some(2), None, Some(1)]);
        assert_eq!(
            on_replica["results"][3]["partitions"][0]["removed_at_startup"],
            7
        );
    }
}

#[test]
fn writes_under_analyze_are_refused_by_the_standby_even_when_allowed() {
    let Some((_, replica)) = replica_urls() else {
        return;
    };
    let output = planlint()
        .args([
            "check",
            "--db",
            &replica,
            "--analyze",
            "--allow-writes",
            "DELETE FROM customers WHERE id < 100",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("during recovery"), "{stderr}");
}

#[test]
fn catalog_from_the_replica_is_the_primary_s() {
    let Some((primary, replica)) = replica_urls() else {
        return;
    };
    let on_replica = catalog(&replica, "SELECT * FROM orders");
    assert_eq!(
        relation_names(&on_replica).len(),
        9,
        "orders and its 8 partitions"
    );
    assert_eq!(on_replica, catalog(&primary, "SELECT * FROM orders"));
    planlint()
        .args(["catalog", "--db", &replica])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("\"customers\""));
}

#[test]
fn the_pgbouncer_url_goes_through_transaction_pooling() {
    let Some((_, pgbouncer)) = pgbouncer_urls() else {
        return;
    };
    // PgBouncer's admin console (the pseudo-database `pgbouncer`) speaks the simple protocol only.
    let admin: String = pgbouncer
        .split_whitespace()
        .map(|pair| {
            if pair.starts_with("dbname=") {
                "dbname=pgbouncer"
            } else {
                pair
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    let mut client = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
    let pool_mode = client
        .simple_query("SHOW POOLS")
        .unwrap()
        .into_iter()
        .find_map(|message| match message {
            postgres::SimpleQueryMessage::Row(row) if row.get("database") == Some("postgres") => {
                row.get("pool_mode").map(str::to_owned)
            }
            _ => None,
        });
    assert_eq!(pool_mode.as_deref(), Some("transaction"));
}

#[test]
fn check_through_pgbouncer_gives_the_primary_s_verdicts() {
    let Some((primary, pgbouncer)) = pgbouncer_urls() else {
        return;
    };
    for analyze in [false, true] {
        for statement in STATEMENTS {
            let mut args = vec!["--param", "123", statement];
            if analyze {
                args.push("--analyze");
            }
            let (on_primary, code, stderr) = check_json(&primary, &args);
            let (through, through_code, through_stderr) = check_json(&pgbouncer, &args);
            assert_eq!(
                through_code, code,
                "{statement}, analyze={analyze}: {through_stderr} (primary: {stderr})"
            );
            assert_eq!(
                through["errors"],
                json!([]),
                "{statement}: {through_stderr}"
            );
            assert_eq!(
                verdicts(&through, analyze),
                verdicts(&on_primary, analyze),
                "{statement}, analyze={analyze}"
            );
        }
    }
    planlint()
        .args([
            "check",
            "--db",
            &pgbouncer,
            "SELECT * FROM orders WHERE customer_id = 4242",
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "scanned 8 of 8 partitions of orders (RANGE on order_id)",
        ));
}

/// PREPARE and DEALLOCATE in one transaction: nothing is left on a pooled server connection
/// for the next transaction, whichever client it serves. Several runs at once, each with
/// several parameterised statements, share a pool smaller than their number: a prepared
/// statement left behind would make a later PREPARE fail with "already exists".
#[test]
fn parameterised_statements_through_pgbouncer_leave_nothing_on_pooled_connections() {
    let Some((_, pgbouncer)) = pgbouncer_urls() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = sql_file(
        dir.path(),
        "parameterised.sql",
        &[
            "SELECT * FROM orders WHERE order_id = $1",
            "SELECT * FROM customers WHERE id = 5",
            "SELECT * FROM orders WHERE order_id = $1",
            "SELECT * FROM customers WHERE id = $1",
            "SELECT * FROM orders WHERE customer_id = $1",
            "SELECT * FROM orders WHERE order_id = $1",
            "SELECT * FROM orders WHERE order_id BETWEEN $1 AND $1 + 10",
        ],
    );
    let file = file.to_str().unwrap().to_owned();
    for analyze in [false, true] {
        let runs: Vec<_> = (0..6)
            .map(|_| {
                let (url, file) = (pgbouncer.clone(), file.clone());
                thread::spawn(move || {
                    let mut args = vec!["--param", "123", "-f", file.as_str()];
                    if analyze {
                        args.push("--analyze");
                    }
                    check_json(&url, &args)
                })
            })
            .collect();
        for run in runs {
            let (report, code, stderr) = run.join().unwrap();
            assert_eq!(code, 1, "analyze={analyze}: {stderr}");
            assert_eq!(report["errors"], json!([]), "analyze={analyze}: {stderr}");
            let results = report["results"].as_array().unwrap();
            let counts: Vec<Option<u64>> = results.iter().map(partitions_in_plan).collect();
            assert_eq!(
                counts,
                [Some(1), None, Some(1), None, Some(8), Some(1), Some(1)],
                "analyze={analyze}"
            );
            for index in [0, 2, 5, 6] {
                assert_eq!(
                    results[index]["partitions"][0]["removed_at_startup"], 7,
                    "statement {index}, analyze={analyze}: start-up pruning of the generic plan"
                );
            }
            assert!(rules(&verdicts(&report, analyze)[4]).contains(&"unpruned-partitions"));
        }
    }
}

#[test]
fn catalog_through_pgbouncer_is_the_primary_s() {
    let Some((primary, pgbouncer)) = pgbouncer_urls() else {
        return;
    };
    let through = catalog(&pgbouncer, "SELECT * FROM orders");
    assert_eq!(relation_names(&through).len(), 9);
    assert_eq!(through, catalog(&primary, "SELECT * FROM orders"));
    planlint()
        .args(["catalog", "--db", &pgbouncer])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("\"customers\""));
}

/// A session-level advisory lock taken through PgBouncer would stay on a pooled server
/// connection for whichever client it serves next, and a standby takes advisory locks too:
/// under `--analyze` both are refused before anything runs, and no planlint session is left
/// holding a lock on either server.
#[test]
fn side_effect_functions_are_refused_on_the_standby_and_through_pgbouncer() {
    let (Some((primary, replica)), Some((_, pgbouncer))) = (replica_urls(), pgbouncer_urls())
    else {
        return;
    };
    for url in [&replica, &pgbouncer] {
        let output = planlint()
            .args([
                "check",
                "--db",
                url,
                "--analyze",
                "SELECT pg_advisory_lock(id) FROM customers WHERE id = 7",
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(output.status.code(), Some(2), "{url}: {stderr}");
        assert!(
            stderr.contains("pg_catalog.pg_advisory_lock(bigint)")
                && stderr.contains("refused without --allow-writes"),
            "{url}: {stderr}"
        );
    }
    for url in [&primary, &replica] {
        let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
        let held: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 7",
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(held, 0, "{url}");
    }
}
