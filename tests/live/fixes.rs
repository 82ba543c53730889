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
                 ANALYZE {SCHEMA}.customers;"
            ))
            .unwrap();
        grant_to_role(&mut client);
        Self {
            url: url.to_owned(),
        }
    }
}

/// The role that queries the schema: it may read its tables, and its search path finds them.
fn grant_to_role(client: &mut postgres::Client) {
    client
        .batch_execute(&format!(
            "DO $$ BEGIN
                 IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') THEN
                     CREATE ROLE {ROLE} LOGIN;
                 END IF;
             END $$;
             GRANT USAGE ON SCHEMA {SCHEMA} TO {ROLE};
             GRANT SELECT ON ALL TABLES IN SCHEMA {SCHEMA} TO {ROLE};
             ALTER ROLE {ROLE} SET search_path = {SCHEMA};"
        ))
        .unwrap();
}

/// Drops the schema with all it holds.
fn drop_schema(url: &str) {
    if let Ok(mut client) = postgres::Client::connect(url, postgres::NoTls) {
        let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"));
    }
}

impl Drop for Tables {
    fn drop(&mut self) {
        drop_schema(&self.url);
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

/// psql of the test server's binaries, else the one on PATH.
fn psql() -> String {
    std::env::var("PLANLINT_PG_BIN")
        .map(|bin| format!("{bin}/psql"))
        .unwrap_or_else(|_| "psql".to_owned())
}

/// Runs the script `--fix-sql` wrote with psql, as the user would (psql of the test server's
/// binaries, else the one on PATH).
fn run_with_psql(url: &str, script: &std::path::Path) {
    let output = std::process::Command::new(psql())
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
    // An invalid index the query has no use for is a finding too, and its fix completes it.
    client
        .batch_execute(&format!(
            "CREATE INDEX orders_status_idx ON ONLY {SCHEMA}.orders (status);"
        ))
        .unwrap();
    let lookup = "SELECT * FROM orders WHERE order_id = 5";
    let (report, _, _) = check_json(&with(&url, "user", ROLE), &[lookup]);
    let finding = &findings(&report)["missing-index"].1;
    assert!(
        finding["message"].as_str().unwrap().starts_with(
            "the index orders_status_idx on orders (status) is invalid: 8 of its 8 partitions"
        ),
        "{finding}"
    );
    fix_and_recheck(&url, lookup, &["missing-index"]);
}

/// The whole fixture schema, loaded by psql into the test schema, and dropped at the end.
struct FixtureSchema {
    url: String,
}

impl FixtureSchema {
    fn load(url: &str) -> Self {
        let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
        client
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA};"
            ))
            .unwrap();
        let output = std::process::Command::new(psql())
            .args(["-X", "-q", "-d", url, "-f", "scripts/fixtures-schema.sql"])
            .env("PGOPTIONS", format!("-c search_path={SCHEMA}"))
            .output()
            .expect("psql runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        grant_to_role(&mut client);
        Self {
            url: url.to_owned(),
        }
    }
}

impl Drop for FixtureSchema {
    fn drop(&mut self) {
        drop_schema(&self.url);
    }
}

/// The fixture queries that are one SELECT on the main fixture database, with no setup.
fn fixture_statements() -> Vec<(String, String)> {
    let mut statements = Vec::new();
    for entry in std::fs::read_dir("scripts/fixtures-queries").unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        if text.lines().any(|line| line.starts_with("-- database:")) {
            continue;
        }
        let sql: Vec<&str> = text
            .lines()
            .filter(|line| !line.starts_with("--"))
            .collect();
        let sql = sql.join("\n");
        let sql = sql.trim();
        if sql.matches(';').count() == 1 && sql.to_uppercase().starts_with("SELECT") {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            statements.push((name, sql.trim_end_matches(';').to_owned()));
        }
    }
    statements.sort();
    statements
}

/// For every fixture statement that planlint gives a fix for: apply the `--fix-sql` script
/// with psql, check again (the rewritten statement when there is one) and see it pass at the
/// default --fail-on with nothing louder, then drop what the script made.
#[test]
fn every_fixture_statement_passes_once_its_fixes_are_applied() {
    let Some(url) = database_url() else { return };
    let _schema = schema_in_use();
    let _fixtures = FixtureSchema::load(&url);
    let as_role = with(&url, "user", ROLE);
    let dir = tempfile::tempdir().unwrap();
    let mut fixed = Vec::new();
    for (name, sql) in fixture_statements() {
        let script = dir.path().join(format!("{name}.sql"));
        let (report, _, stderr) =
            check_json(&as_role, &["--fix-sql", script.to_str().unwrap(), &sql]);
        let before = findings(&report);
        let rewrite = before
            .values()
            .find_map(|(_, finding)| finding["rewrite_sql"].as_str())
            .map(str::to_owned);
        let has_ddl = before
            .values()
            .any(|(_, finding)| finding["fix_sql"].is_string());
        if !has_ddl && rewrite.is_none() {
            continue;
        }
        if has_ddl {
            run_with_psql(&url, &script);
        }
        let recheck = rewrite.clone().unwrap_or_else(|| sql.clone());
        let (after_report, code, after_stderr) = check_json(&as_role, &[&recheck]);
        let after = findings(&after_report);
        assert_eq!(
            code, 0,
            "{name}: still failing after its fixes ({recheck}): {after:?} {stderr} {after_stderr}"
        );
        for (rule, (severity, _)) in &after {
            let was = before.get(rule).map_or(0, |(severity, _)| *severity);
            assert!(*severity <= was, "{name}: {rule} got louder: {after:?}");
        }
        // Drop what the script made: a parent's index takes its partitions' with it.
        let made = std::fs::read_to_string(&script).unwrap();
        let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        for line in made.lines().filter(|line| line.starts_with("CREATE INDEX")) {
            let index = line
                .trim_start_matches("CREATE INDEX ")
                .trim_start_matches("CONCURRENTLY ")
                .split_whitespace()
                .next()
                .unwrap();
            client
                .batch_execute(&format!("DROP INDEX IF EXISTS {SCHEMA}.{index}"))
                .unwrap();
        }
        fixed.push(name);
    }
    eprintln!("fixed, then passed: {}", fixed.join(", "));
    assert!(fixed.len() >= 6, "fixed only {fixed:?}");
}
