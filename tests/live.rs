//! Live mode against a real PostgreSQL 15: `scripts/test.sh` starts one with the fixture
//! schema and sets PLANLINT_TEST_DATABASE_URL. Under CI these tests never skip.

use std::time::{Duration, Instant};

use predicates::prelude::*;
use serde_json::{json, Value};

mod common;
#[path = "live/fixes.rs"]
mod fixes;
#[path = "live/rewrites.rs"]
mod rewrites;
#[path = "live/side_effects.rs"]
mod side_effects;
use common::{check_json, database_url, finding_of, planlint, with};

fn count_rows(url: &str, table: &str) -> i64 {
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    client
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .unwrap()
        .get(0)
}

#[test]
fn check_gives_the_exact_partition_verdict_from_the_live_catalog() {
    let Some(url) = database_url() else { return };
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
    let (report, code, _) = check_json(
        &url,
        &["SELECT * FROM orders WHERE order_id BETWEEN 40000 AND 60000"],
    );
    assert_eq!(code, 0);
    let scan = &report["results"][0]["partitions"][0];
    assert_eq!(
        (
            scan["partitions_in_plan"].as_u64(),
            scan["partitions_total"].as_u64()
        ),
        (Some(2), Some(8))
    );
}

#[test]
fn the_connection_comes_from_libpq_variables_too() {
    let Some(url) = database_url() else { return };
    let mut command = planlint();
    for pair in url.split_whitespace() {
        let (key, value) = pair.split_once('=').unwrap();
        let variable = match key {
            "host" => "PGHOST",
            "port" => "PGPORT",
            "user" => "PGUSER",
            "dbname" => "PGDATABASE",
            "sslmode" => "PGSSLMODE",
            _ => continue,
        };
        command.env(variable, value);
    }
    command
        .args(["check", "SELECT * FROM customers WHERE id = 5"])
        .assert()
        .code(0);
}

#[test]
fn the_catalog_snapshot_takes_its_connection_from_the_environment_as_check_does() {
    let Some(url) = database_url() else { return };
    // DATABASE_URL, without --db.
    let output = planlint()
        .env("DATABASE_URL", &url)
        .args(["catalog", "--for", "SELECT * FROM orders"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let document: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(document["relations"].as_array().unwrap().len(), 9);
    // The libpq variables.
    let mut command = planlint();
    command.env_remove("DATABASE_URL");
    for pair in url.split_whitespace() {
        let (key, value) = pair.split_once('=').unwrap();
        let variable = match key {
            "host" => "PGHOST",
            "port" => "PGPORT",
            "user" => "PGUSER",
            "dbname" => "PGDATABASE",
            "sslmode" => "PGSSLMODE",
            _ => continue,
        };
        command.env(variable, value);
    }
    let output = command
        .args(["catalog", "--for", "SELECT * FROM orders"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
}

#[test]
fn an_unclear_target_says_what_was_expected() {
    for (target, expected) in [
        (
            Some("mysql://app@db/shop"),
            "a mysql:// URL is not a PostgreSQL one: expected --db postgresql://",
        ),
        (
            Some("not a url"),
            "\"not a url\" is neither a URL nor key=value pairs: expected --db postgresql://",
        ),
        (
            None,
            "no database to connect to: expected --db postgresql://",
        ),
    ] {
        for command in ["check", "catalog"] {
            let mut planlint = planlint();
            for variable in [
                "DATABASE_URL",
                "PGHOST",
                "PGHOSTADDR",
                "PGPORT",
                "PGDATABASE",
                "PGSERVICE",
            ] {
                planlint.env_remove(variable);
            }
            planlint.arg(command);
            if let Some(target) = target {
                planlint.args(["--db", target]);
            }
            if command == "check" {
                planlint.arg("SELECT 1");
            }
            let output = planlint.output().unwrap();
            assert_eq!(output.status.code(), Some(2), "{command} {target:?}");
            let stderr = String::from_utf8(output.stderr).unwrap();
            assert_eq!(stderr.lines().count(), 1, "{stderr}");
            assert!(stderr.contains(expected), "{command} {target:?}: {stderr}");
        }
    }
}

#[test]
fn each_statement_of_a_file_is_checked_and_located_and_failures_do_not_stop_the_batch() {
    let Some(url) = database_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("queries.sql");
    std::fs::write(
        &file,
        "-- lookups\nSELECT * FROM customers WHERE id = 5;\n\nSELECT * FROM no_such_table;\n  SELECT * FROM orders\n  WHERE customer_id = 7;\n",
    )
    .unwrap();
    let (report, code, stderr) = check_json(&url, &["-f", file.to_str().unwrap()]);
    assert_eq!(code, 2, "a failed statement makes the run an error");
    let name = file.display().to_string();
    let sources: Vec<&str> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, [format!("{name}:2:1"), format!("{name}:5:3")]);
    assert_eq!(report["errors"][0]["source"], format!("{name}:4:1"));
    assert!(
        stderr.contains("no_such_table") && stderr.lines().count() == 1,
        "{stderr}"
    );
}

/// Plain EXPLAINs are pipelined: a failure at any step of one statement's transaction (its
/// PREPARE, or its EXPLAIN after the PREPARE) ends that statement alone. The statements after
/// it, sent before its answer was read, still get their plans, and each prepared statement is
/// deallocated: one left behind would make the next PREPARE fail with "already exists".
#[test]
fn a_failure_inside_pipelined_statements_ends_that_statement_alone() {
    let Some(url) = database_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pipelined.sql");
    std::fs::write(
        &file,
        [
            "SELECT * FROM customers WHERE email = $1;",
            "SELECT * FROM orders WHERE order_id = $1;",
            "SELECT * FROM customers WHERE email = $1;",
            "SELECT * FROM no_such_table WHERE x = $1;",
            "SELECT * FROM customers WHERE id = 5;",
            "SELECT * FROM customers WHERE email = $1;",
        ]
        .join("\n"),
    )
    .unwrap();
    // 'abc' is a fine email and no order_id: that statement's EXECUTE fails after its PREPARE.
    let (report, code, stderr) =
        check_json(&url, &["--param", "abc", "-f", file.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    let name = file.display().to_string();
    let sources: Vec<&str> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|result| result["source"].as_str().unwrap())
        .collect();
    assert_eq!(
        sources,
        [1, 3, 5, 6].map(|line| format!("{name}:{line}:1")),
        "{stderr}"
    );
    let errors = report["errors"].as_array().unwrap();
    let failed: Vec<(&str, &str)> = errors
        .iter()
        .map(|error| {
            (
                error["source"].as_str().unwrap(),
                error["message"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert_eq!(failed[0].0, format!("{name}:2:1"));
    assert!(failed[0].1.contains("invalid input syntax"), "{failed:?}");
    assert_eq!(failed[1].0, format!("{name}:4:1"));
    assert!(failed[1].1.contains("no_such_table"), "{failed:?}");
    assert!(!stderr.contains("already exists"), "{stderr}");
}

#[test]
fn a_delete_under_analyze_is_refused_and_changes_nothing() {
    let Some(url) = database_url() else { return };
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
        .stderr(predicate::str::contains("refused without --allow-writes"))
        // Counted as what it is, not as an input that could not be read.
        .stdout(predicate::str::contains("1 statement refused"))
        .stdout(predicate::str::contains("could not be read").not());
    assert_eq!(count_rows(&url, "customers"), before);
}

#[test]
fn allow_writes_runs_the_statement_and_rolls_it_back() {
    let Some(url) = database_url() else { return };
    let before = count_rows(&url, "customers");
    let (report, code, stderr) = check_json(
        &url,
        &[
            "--analyze",
            "--allow-writes",
            "DELETE FROM customers WHERE id < 100",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["summary"]["plans"], 1);
    assert_eq!(
        count_rows(&url, "customers"),
        before,
        "the delete was rolled back"
    );
}

#[test]
fn a_multi_statement_string_is_refused_and_the_table_survives() {
    let Some(url) = database_url() else { return };
    planlint()
        .args(["check", "--db", &url, "SELECT 1; DROP TABLE countries"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("2 statements in one string"));
    assert!(count_rows(&url, "countries") > 0);
}

#[test]
fn a_statement_past_the_timeout_ends_with_the_timeout_error() {
    let Some(url) = database_url() else { return };
    let started = Instant::now();
    planlint()
        .args([
            "check",
            "--db",
            &url,
            "--analyze",
            "--timeout",
            "300ms",
            "SELECT pg_sleep(5)",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("statement timeout"))
        .stdout(predicate::str::contains("1 statement timed out"));
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[test]
fn connection_errors_are_one_line_and_never_show_the_password() {
    if database_url().is_none() {
        return;
    }
    let output = planlint()
        .args([
            "check",
            "--db",
            "postgresql://ann:Sup3rSecret@127.0.0.1:1/shop?sslmode=disable",
            "SELECT 1",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("ann@127.0.0.1:1/shop") && stderr.contains("refused"),
        "{stderr}"
    );
    assert!(!stderr.contains("Sup3rSecret"));
}

#[test]
fn parameterised_statements_are_checked_as_generic_plans() {
    let Some(url) = database_url() else { return };
    let (report, code, stderr) = check_json(
        &url,
        &["--param", "123", "SELECT * FROM orders WHERE order_id = $1"],
    );
    assert_eq!(code, 0, "{stderr}");
    let scan = &report["results"][0]["partitions"][0];
    assert_eq!(
        scan["removed_at_startup"], 7,
        "start-up pruning of the generic plan"
    );
    assert_eq!(scan["pruned_at"], serde_json::json!(["startup"]));
    let (report, code, _) = check_json(&url, &["SELECT * FROM orders WHERE customer_id = $1"]);
    assert_eq!(code, 1);
    let rules: Vec<&str> = report["results"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"unpruned-partitions"), "{rules:?}");
}

#[test]
fn the_live_catalog_snapshot_gives_offline_analysis_the_same_verdict() {
    let Some(url) = database_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("catalog.json");
    planlint()
        .args([
            "catalog",
            "--db",
            &url,
            "-o",
            snapshot.to_str().unwrap(),
            "--for",
            "SELECT * FROM orders",
        ])
        .assert()
        .code(0);
    let text = std::fs::read_to_string(&snapshot).unwrap();
    let document: Value = serde_json::from_str(&text).unwrap();
    let names: Vec<&str> = document["relations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names.len(),
        9,
        "orders and its 8 partitions only: {names:?}"
    );
    planlint()
        .args([
            "analyze",
            "--catalog",
            snapshot.to_str().unwrap(),
            "examples/orders-by-customer.json",
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "scanned 8 of 8 partitions of orders (RANGE on order_id)",
        ));
}

#[test]
fn a_missing_privilege_is_one_line_and_the_rest_of_the_batch_is_still_reported() {
    let Some(url) = database_url() else { return };
    // Catalog privileges are per database: revoking one in a database of its own leaves the
    // other tests, which run at the same time, untouched.
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let exists = admin
        .query_opt(
            "SELECT FROM pg_database WHERE datname = 'planlint_privileges'",
            &[],
        )
        .unwrap()
        .is_some();
    if !exists {
        admin
            .batch_execute("CREATE DATABASE planlint_privileges")
            .unwrap();
    }
    let database = with(&url, "dbname", "planlint_privileges");
    let mut admin = postgres::Client::connect(&database, postgres::NoTls).unwrap();
    admin
        .batch_execute(
            "DO $$ BEGIN
                 IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'planlint_limited') THEN
                     CREATE ROLE planlint_limited LOGIN;
                 END IF;
             END $$;
             CREATE TABLE IF NOT EXISTS visible (id int);
             CREATE TABLE IF NOT EXISTS hidden (id int);
             GRANT SELECT ON visible TO planlint_limited;
             REVOKE SELECT ON pg_catalog.pg_inherits FROM PUBLIC;",
        )
        .unwrap();
    let (report, code, stderr) = check_json(
        &with(&database, "user", "planlint_limited"),
        &[
            "SELECT * FROM visible WHERE id = 5",
            "SELECT * FROM hidden WHERE id = 1",
        ],
    );
    assert_eq!(code, 2);
    assert_eq!(
        report["summary"]["plans"], 1,
        "the statement it may read is still checked"
    );
    let kinds: Vec<&str> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    // The statements are explained first, then the catalog is read for the tables they name.
    assert_eq!(kinds, ["permission", "catalog"], "{stderr}");
    assert!(
        stderr.contains("permission denied for table pg_inherits"),
        "{stderr}"
    );
    assert!(
        stderr.contains("permission denied for table hidden"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 2, "{stderr}");
}

#[test]
fn a_server_gone_mid_query_is_one_line_and_exit_2() {
    let Some(url) = database_url() else { return };
    let killer_url = url.clone();
    let killer = std::thread::spawn(move || {
        let mut admin = postgres::Client::connect(&killer_url, postgres::NoTls).unwrap();
        for _ in 0..50 {
            std::thread::sleep(Duration::from_millis(100));
            let killed: i64 = admin
                .query_one(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                     WHERE application_name = 'planlint' AND query LIKE '%planlint_gone_marker%'",
                    &[],
                )
                .unwrap()
                .get(0);
            if killed > 0 {
                return;
            }
        }
        panic!("the statement never showed up in pg_stat_activity");
    });
    let (report, code, stderr) = check_json(
        &url,
        &[
            "--analyze",
            "SELECT pg_sleep(10), 'planlint_gone_marker'",
            "SELECT * FROM customers WHERE id = 5",
        ],
    );
    killer.join().unwrap();
    assert_eq!(code, 2);
    // Depending on timing the client reads the server's FATAL message or only sees the socket close.
    assert!(
        stderr.contains("terminating connection")
            || stderr.contains("the server closed the connection"),
        "{stderr}"
    );
    let kinds: Vec<&str> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["connection", "connection"], "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line for the loss: {stderr}");
    assert!(
        stderr.starts_with("planlint: error: <argument 1>: "),
        "{stderr}"
    );
    assert!(stderr.contains("1 more statement not checked"), "{stderr}");
    assert_eq!(
        report["summary"]["failed_inputs"], 2,
        "the rest of the batch is reported as not checked: {stderr}"
    );
    assert_eq!(report["errors"][1]["source"], "<argument 2>");
}

#[test]
fn statements_that_prune_only_with_literal_values_are_flagged() {
    let Some(url) = database_url() else { return };
    let (report, code, stderr) = check_json(
        &url,
        &[
            "--param",
            "{123,456}",
            "SELECT * FROM orders WHERE order_id = ANY($1)",
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    let finding =
        finding_of(&report, "unpruned-partitions").expect("the generic plan scans every partition");
    let message = finding["message"].as_str().unwrap();
    assert!(
        message.contains("scanned 8 of 8 partitions of orders"),
        "{message}"
    );
    assert!(
        message.contains("it prunes only with literal values"),
        "{message}"
    );
    assert!(message.contains("the planner reads 1 of 8"), "{message}");
    // A cast on the key prunes neither way: no claim about literals.
    let (report, _, _) = check_json(
        &url,
        &[
            "--param",
            "123",
            "SELECT * FROM orders WHERE order_id = $1::numeric",
        ],
    );
    let messages: Vec<&str> = report["results"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        messages
            .iter()
            .all(|m| !m.contains("only with literal values")),
        "{messages:?}"
    );
}

/// The conninfo of the role scripts/test.sh makes log in with a password.
fn password_role_conninfo(url: &str) -> String {
    with(url, "user", "planlint_password")
}

#[test]
fn a_wrong_password_is_one_line_without_the_password() {
    let Some(url) = database_url() else { return };
    let conninfo = format!("{} password=NotTheRightOne", password_role_conninfo(&url));
    let output = planlint()
        .args(["check", "--db", &conninfo, "SELECT 1"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("password authentication failed"),
        "{stderr}"
    );
    assert!(!stderr.contains("NotTheRightOne"), "{stderr}");
}

#[test]
fn the_password_comes_from_pgpassword_or_a_private_pgpass_file() {
    let Some(url) = database_url() else { return };
    let conninfo = password_role_conninfo(&url);
    planlint()
        .env("PGPASSWORD", "planlint-test-password")
        .args(["check", "--db", &conninfo, "SELECT 1"])
        .assert()
        .code(0);
    let dir = tempfile::tempdir().unwrap();
    let pgpass = dir.path().join("pgpass");
    std::fs::write(&pgpass, "*:*:*:planlint_password:planlint-test-password\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    planlint()
        .env("PGPASSFILE", &pgpass)
        .args(["check", "--db", &conninfo, "SELECT 1"])
        .assert()
        .code(0);
}

#[test]
fn verify_replans_the_rewrite_and_reports_before_and_after() {
    let Some(url) = database_url() else { return };
    let (report, code, stderr) = check_json(
        &url,
        &[
            "--verify",
            "SELECT * FROM measurements WHERE date_trunc('day', created_at) = '2024-03-15'",
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    let finding = finding_of(&report, "unpruned-partitions").expect("the scan is unpruned");
    assert_eq!(finding["cause_kind"], "function-on-key");
    assert!(finding["rewrite_sql"]
        .as_str()
        .unwrap()
        .contains("created_at >= '2024-03-15' AND created_at < '2024-03-16'"));
    assert_eq!(finding["verified"]["before"], "scanned 13 of 13 partitions");
    assert_eq!(finding["verified"]["after"], "scanned 1 of 13 partitions");
    let verified = &finding["verified"];
    assert_eq!(
        (
            &verified["method"],
            &verified["partitions_before"],
            &verified["partitions_after"],
            &verified["partitions_total"]
        ),
        (&json!("replan"), &json!(13), &json!(1), &json!(13))
    );
    // Without --verify nothing is re-planned.
    let (report, _, _) = check_json(&url, &["SELECT * FROM orders WHERE order_id = 123456.0"]);
    let finding = &finding_of(&report, "unpruned-partitions").unwrap().clone();
    assert_eq!(finding["cause_kind"], "type-mismatch");
    assert!(finding["verified"].is_null());
}

/// Whether scripts/test.sh installed HypoPG in the test database.
fn hypopg_installed() -> bool {
    match std::env::var("PLANLINT_TEST_HYPOPG") {
        Ok(flag) if flag == "1" => true,
        _ if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
            panic!("CI=true but HypoPG is not set up: run the suite with scripts/test.sh")
        }
        _ => {
            eprintln!("SKIPPED: HypoPG tests need scripts/test.sh with postgresql-15-hypopg");
            false
        }
    }
}

#[test]
fn verify_tries_suggested_indexes_with_hypopg_and_drops_unused_ones() {
    let Some(url) = database_url() else { return };
    if !hypopg_installed() {
        return;
    }
    let (report, _, stderr) = check_json(
        &url,
        &[
            "--verify",
            "SELECT * FROM customers WHERE email = 'user4242@example.com'",
        ],
    );
    let finding = finding_of(&report, "missing-index").expect("the index is suggested");
    let before = finding["verified"]["before"].as_str().unwrap();
    let after = finding["verified"]["after"].as_str().unwrap();
    assert!(
        before.starts_with("cost ") && after.contains("with the index (HypoPG)"),
        "{before} / {after} {stderr}"
    );
    let verified = &finding["verified"];
    assert_eq!(verified["method"], "hypopg");
    let (cost_before, cost_after) = (
        verified["cost_before"].as_f64().unwrap(),
        verified["cost_after"].as_f64().unwrap(),
    );
    assert!(cost_after < cost_before, "{verified}");
    let (report, _, _) = check_json(
        &url,
        &["--verify", "SELECT * FROM orders WHERE customer_id = 42"],
    );
    assert!(
        finding_of(&report, "missing-index").unwrap()["verified"].is_object(),
        "partitioned tables too"
    );
    // An index the planner would not use (every row matches) is not suggested.
    let keep_all = [
        "--threshold",
        "missing-index.min_discard_fraction=0",
        "SELECT * FROM customers WHERE created_at > '2000-01-01'",
    ];
    let (report, _, _) = check_json(&url, &keep_all);
    assert!(
        finding_of(&report, "missing-index").is_some(),
        "suggested without --verify"
    );
    let mut verified = vec!["--verify"];
    verified.extend(keep_all);
    let (report, _, _) = check_json(&url, &verified);
    assert!(
        finding_of(&report, "missing-index").is_none(),
        "dropped with --verify: {report}"
    );
    // Nothing was built: the hypothetical index lives only in the session.
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let indexes: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' AND indexdef LIKE '%(email)%'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(indexes, 0);
}

#[test]
fn pruning_turned_off_for_the_role_is_read_from_the_plans_settings() {
    let Some(url) = database_url() else { return };
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    admin
        .batch_execute(
            "DO $$ BEGIN
                 IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'planlint_no_pruning') THEN
                     CREATE ROLE planlint_no_pruning LOGIN;
                 END IF;
             END $$;
             ALTER ROLE planlint_no_pruning SET enable_partition_pruning = off;
             GRANT SELECT ON orders TO planlint_no_pruning;",
        )
        .unwrap();
    let conninfo = with(&url, "user", "planlint_no_pruning");
    let (report, code, stderr) =
        check_json(&conninfo, &["SELECT * FROM orders WHERE order_id = 123"]);
    assert_eq!(code, 1, "{stderr}");
    let finding = finding_of(&report, "unpruned-partitions").expect("nothing pruned");
    assert_eq!(finding["cause_kind"], "pruning-disabled", "{finding}");
}

#[test]
fn suppression_comments_silence_findings_and_stale_ones_are_reported() {
    let Some(url) = database_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("reports.sql");
    std::fs::write(
        &file,
        "-- planlint: ignore-file seq-scan -- the report reads whole tables\n\
         -- planlint: ignore unpruned-partitions, PL003 -- monthly report, reads every partition\n\
         SELECT * FROM orders WHERE customer_id = 4242;\n\
         -- planlint: ignore missing-index -- nothing to silence here\n\
         SELECT * FROM customers WHERE id = 5;\n",
    )
    .unwrap();
    let (report, code, stderr) = check_json(&url, &["-f", file.to_str().unwrap()]);
    assert_eq!(code, 0, "every finding is silenced: {report} {stderr}");
    let findings: usize = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["findings"].as_array().unwrap().len())
        .sum();
    assert_eq!(findings, 0);
    let name = file.display().to_string();
    assert!(
        stderr.contains(&format!(
            "{name}:4: this suppression of missing-index matches no finding"
        )),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn a_server_that_accepts_and_never_answers_ends_within_the_connect_timeout() {
    // Needs no database: a listening socket on loopback that accepts and stays silent.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().take(4) {
            held.push(stream);
        }
        std::thread::sleep(Duration::from_secs(30));
    });
    let started = Instant::now();
    let conninfo =
        format!("host=127.0.0.1 port={port} user=u dbname=d sslmode=disable connect_timeout=1");
    planlint()
        .args(["check", "--db", &conninfo, "SELECT 1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no answer from the server within connect_timeout (1 s)",
        ));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
}
