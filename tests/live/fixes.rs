//! A fixed query goes green: apply every fix planlint gives for a statement (the script
//! `--fix-sql` writes, run with psql; or the rewrite), check again, and the finding is gone,
//! nothing got louder, and the check passes at the default `--fail-on`. The DDL runs on copies of the fixture tables in a schema of their
//! own, which a role with that schema on its search path queries, so no other test sees the
//! indexes; the schema is dropped at the end.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use serde_json::Value;

use crate::common::{check_json, database_url, with};

const SCHEMA: &str = "planlint_fixes";
/// The tests here share the schema: one at a time.
static SCHEMA_IN_USE: Mutex<()> = Mutex::new(());
const ROLE: &str = "planlint_fixer";

/// The copies of `orders` and `customers`, made afresh, and dropped when this goes out of scope.
struct Tables {
    url: String,
}

/// The schema, for the length of one test.
fn schema_in_use() -> MutexGuard<'static, ()> {
    SCHEMA_IN_USE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Tables {
    fn create(url: &str) -> Self {
        let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
        let partitions: String = (0..8)
            .map(|p| {
                format!(
                    "CREATE TABLE {SCHEMA}.orders_p{n} PARTITION OF {SCHEMA}.orders \
                     FOR VALUES FROM ({from}) TO ({to});",
                    n = p + 1,
                    from = p * 50_000 + 1,
                    to = (p + 1) * 50_000 + 1
                )
            })
            .collect();
        client
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {SCHEMA} CASCADE;
                 CREATE SCHEMA {SCHEMA};
                 CREATE TABLE {SCHEMA}.orders (LIKE public.orders INCLUDING ALL)
                     PARTITION BY RANGE (order_id);
                 {partitions}
                 INSERT INTO {SCHEMA}.orders SELECT * FROM public.orders;
                 CREATE TABLE {SCHEMA}.customers (LIKE public.customers INCLUDING ALL);
                 INSERT INTO {SCHEMA}.customers SELECT * FROM public.customers;
                 ANALYZE {SCHEMA}.orders;
                 ANALYZE {SCHEMA}.customers;
                 DO $$ BEGIN
                     IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') THEN
                         CREATE ROLE {ROLE} LOGIN;
                     END IF;
                 END $$;
                 GRANT USAGE ON SCHEMA {SCHEMA} TO {ROLE};
                 GRANT SELECT ON ALL TABLES IN SCHEMA {SCHEMA} TO {ROLE};
                 ALTER ROLE {ROLE} SET search_path = {SCHEMA};"
            ))
            .unwrap();
        Self {
            url: url.to_owned(),
        }
    }
}

impl Drop for Tables {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&self.url, postgres::NoTls) {
            let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"));
        }
    }
}

/// The findings of the first result, by rule: (severity rank, the finding).
fn findings(report: &Value) -> BTreeMap<String, (u8, Value)> {
    let rank = |severity: &str| match severity {
        "error" => 3,
        "warning" => 2,
        _ => 1,
    };
    report["results"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| {
            (
                finding["rule"].as_str().unwrap().to_owned(),
                (rank(finding["severity"].as_str().unwrap()), finding.clone()),
            )
        })
        .collect()
}

/// Runs the script `--fix-sql` wrote with psql, as the user would (psql of the test server's
/// binaries, else the one on PATH).
fn run_with_psql(url: &str, script: &std::path::Path) {
    let psql = std::env::var("PLANLINT_PG_BIN")
        .map(|bin| format!("{bin}/psql"))
        .unwrap_or_else(|_| "psql".to_owned());
    let output = std::process::Command::new(psql)
        .args(["-X", "-q", "-d", url, "-f"])
        .arg(script)
        .output()
        .expect("psql runs");
    assert!(
        output.status.success(),
        "psql -f {}: {}",
        script.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Checks `sql` as the role, applies every fix_sql, checks again: the fixed findings are gone,
/// nothing is louder, and the check passes at the default --fail-on.
fn fix_and_recheck(url: &str, sql: &str, fixed_rules: &[&str]) {
    let as_role = with(url, "user", ROLE);
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("fixes.sql");
    let (before, code, stderr) =
        check_json(&as_role, &["--fix-sql", script.to_str().unwrap(), sql]);
    assert_eq!(code, 1, "{sql}: {stderr}");
    let before = findings(&before);
    let fixes = std::fs::read_to_string(&script).unwrap();
    assert!(
        fixes.contains(&format!("ON {SCHEMA}.")),
        "{sql}: the fixes are not for the tables the role queries: {fixes}"
    );
    run_with_psql(url, &script);
    let (after, code, stderr) = check_json(&as_role, &[sql]);
    assert_eq!(
        code, 0,
        "{sql}: still failing after its fixes: {after} {stderr}"
    );
    let after = findings(&after);
    for rule in fixed_rules {
        assert!(
            !after.contains_key(*rule),
            "{sql}: {rule} is still there: {after:?}"
        );
    }
    for (rule, (severity, _)) in &after {
        let was = before.get(rule).map_or(0, |(severity, _)| *severity);
        assert!(*severity <= was, "{sql}: {rule} got louder: {after:?}");
    }
}

#[test]
fn applying_the_fixes_planlint_gives_makes_the_check_pass() {
    let Some(url) = database_url() else { return };
    let _schema = schema_in_use();
    // A join through a key no index serves: the index on the join key, and the one on email.
    let tables = Tables::create(&url);
    fix_and_recheck(
        &url,
        "SELECT o.* FROM customers c JOIN orders o ON o.customer_id = c.id \
         WHERE c.email = 'user4242@example.com'",
        &["missing-index", "seq-scan"],
    );
    drop(tables);
    let tables = Tables::create(&url);
    // orders is partitioned by order_id and looked up by customer: the fix is the index, after
    // which each of the 8 partitions is probed through it (unpruned-partitions stays, at info).
    fix_and_recheck(
        &url,
        "SELECT * FROM orders WHERE customer_id = 12345",
        &["missing-index", "seq-scan"],
    );
    // The whole DDL leaves the parent's index valid: attached on every partition.
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let valid: bool = client
        .query_one(
            &format!(
                "SELECT bool_and(i.indisvalid) FROM pg_index i
                 WHERE i.indrelid = '{SCHEMA}.orders'::regclass"
            ),
            &[],
        )
        .unwrap()
        .get(0);
    assert!(valid, "an index of {SCHEMA}.orders is invalid");
    fix_and_recheck(
        &url,
        "SELECT * FROM customers WHERE email = 'user4242@example.com'",
        &["missing-index", "seq-scan"],
    );
    drop(tables);
    // An OR of two columns: one index per arm, combined by a BitmapOr.
    let _tables = Tables::create(&url);
    fix_and_recheck(
        &url,
        "SELECT * FROM customers WHERE email = 'user42@example.com' OR last_order_id = 123",
        &["missing-index", "seq-scan"],
    );
}

/// When the fix is a rewrite, the rewritten statement passes.
#[test]
fn the_rewritten_statement_passes() {
    let Some(url) = database_url() else { return };
    let sql = "SELECT * FROM measurements WHERE date_trunc('day', created_at) = '2024-03-15'";
    let (report, code, stderr) = check_json(&url, &[sql]);
    assert_eq!(code, 1, "{stderr}");
    let rewrite = findings(&report)["unpruned-partitions"].1["rewrite_sql"]
        .as_str()
        .expect("a rewrite")
        .to_owned();
    let (report, code, stderr) = check_json(&url, &[&rewrite]);
    assert_eq!(code, 0, "{rewrite}: {report} {stderr}");
}

/// Part of a partitioned index's DDL (the parent's index and one partition's) leaves the parent
/// index invalid: planlint says so, and its fix completes the index instead of building it
/// again (which would fail on the name).
#[test]
fn an_index_left_invalid_by_part_of_its_ddl_is_completed() {
    let Some(url) = database_url() else { return };
    let _schema = schema_in_use();
    let _tables = Tables::create(&url);
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    client
        .batch_execute(&format!(
            "CREATE INDEX orders_customer_id_idx ON ONLY {SCHEMA}.orders (customer_id);
             CREATE INDEX orders_p1_customer_id_idx ON {SCHEMA}.orders_p1 (customer_id);
             ALTER INDEX {SCHEMA}.orders_customer_id_idx ATTACH PARTITION {SCHEMA}.orders_p1_customer_id_idx;"
        ))
        .unwrap();
    let sql = "SELECT * FROM orders WHERE customer_id = 12345";
    let (report, _, _) = check_json(&with(&url, "user", ROLE), &[sql]);
    let finding = &findings(&report)["missing-index"].1;
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .starts_with("the index orders_customer_id_idx on orders (customer_id) is invalid: 7 of its 8 partitions"),
        "{finding}"
    );
    let fix = finding["fix_sql"].as_str().unwrap();
    assert!(!fix.contains("ON ONLY"), "{fix}");
    assert_eq!(fix.matches("CREATE INDEX CONCURRENTLY").count(), 7, "{fix}");
    assert_eq!(fix.matches("ATTACH PARTITION").count(), 8, "{fix}");
    fix_and_recheck(&url, sql, &["missing-index", "seq-scan"]);
    let valid: bool = client
        .query_one(
            &format!("SELECT indisvalid FROM pg_index WHERE indexrelid = '{SCHEMA}.orders_customer_id_idx'::regclass"),
            &[],
        )
        .unwrap()
        .get(0);
    assert!(valid);
}
