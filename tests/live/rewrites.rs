//! Every rewrite planlint offers returns the same rows as the original, proved on the test
//! server's data: for each shape and edge, the rewrite from `planlint check` and the original
//! run side by side, and their rows compared both ways (EXCEPT ALL). Where no rewrite can be
//! equivalent, none is offered.

use std::sync::OnceLock;

use crate::common::{check_json, database_url, finding_of, with};

/// A role whose sessions run in a time zone with daylight saving time.
const DST_ROLE: &str = "planlint_dst";

fn setup(url: &str) {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
        client
            .batch_execute(&format!(
                "DO $$ BEGIN
                     IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{DST_ROLE}') THEN
                         CREATE ROLE {DST_ROLE} LOGIN;
                     END IF;
                 END $$;
                 GRANT SELECT ON measurements, sales, orders TO {DST_ROLE};
                 ALTER ROLE {DST_ROLE} SET timezone = 'Europe/Paris';
                 DROP TABLE IF EXISTS planlint_rewrite_regions;
                 CREATE TABLE planlint_rewrite_regions (id int, region text)
                     PARTITION BY LIST (region);
                 CREATE TABLE planlint_rewrite_regions_eu PARTITION OF planlint_rewrite_regions
                     FOR VALUES IN ('eu', 'EU', 'Eu');
                 CREATE TABLE planlint_rewrite_regions_us PARTITION OF planlint_rewrite_regions
                     FOR VALUES IN ('us', 'US');
                 CREATE TABLE planlint_rewrite_regions_apac PARTITION OF planlint_rewrite_regions
                     FOR VALUES IN ('apac', NULL);
                 INSERT INTO planlint_rewrite_regions
                     SELECT g, (ARRAY['eu', 'EU', 'Eu', 'us', 'US', 'apac', NULL])[g % 7 + 1]
                     FROM generate_series(1, 7000) g;
                 ANALYZE planlint_rewrite_regions;"
            ))
            .unwrap();
    });
}

/// The rewrite planlint offers for `sql` (None when it offers none), and the cause it gives.
fn rewrite_of(url: &str, sql: &str) -> (Option<String>, String) {
    let (report, code, stderr) = check_json(url, &[sql]);
    assert!(code == 0 || code == 1, "{sql}: {stderr}");
    let finding = finding_of(&report, "unpruned-partitions")
        .unwrap_or_else(|| panic!("{sql}: no unpruned-partitions finding: {report}"));
    (
        finding["rewrite_sql"].as_str().map(str::to_owned),
        finding["cause"].as_str().unwrap_or_default().to_owned(),
    )
}

/// Rows of `original` missing from `rewrite`, rows of `rewrite` missing from `original`, and
/// the rows of `original`.
fn compare(url: &str, original: &str, rewrite: &str) -> (i64, i64, i64) {
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let count = |client: &mut postgres::Client, sql: &str| -> i64 {
        client
            .query_one(&format!("SELECT count(*) FROM ({sql}) rows"), &[])
            .unwrap_or_else(|error| panic!("{sql}: {error}"))
            .get(0)
    };
    (
        count(&mut client, &format!("({original}) EXCEPT ALL ({rewrite})")),
        count(&mut client, &format!("({rewrite}) EXCEPT ALL ({original})")),
        count(&mut client, original),
    )
}

/// Statements whose rewrite must return exactly their rows, with the text the rewrite must hold.
const EQUIVALENT: &[(&str, &str)] = &[
    (
        "SELECT * FROM measurements WHERE date_trunc('day', created_at) = '2024-03-15'",
        "created_at >= '2024-03-15' AND created_at < '2024-03-16'",
    ),
    (
        "SELECT * FROM measurements WHERE date_trunc('day', created_at) = '2024-03-15 00:00:00'",
        "created_at >= '2024-03-15' AND created_at < '2024-03-16'",
    ),
    (
        "SELECT * FROM measurements WHERE '2024-03-15' = date_trunc('day', created_at)",
        "created_at >= '2024-03-15' AND created_at < '2024-03-16'",
    ),
    (
        "SELECT * FROM measurements WHERE date_trunc('day', created_at) < '2024-01-02'",
        "created_at < '2024-01-02'",
    ),
    (
        "SELECT * FROM measurements WHERE date_trunc('day', created_at) <= '2024-01-02'",
        "created_at < '2024-01-03'",
    ),
    (
        "SELECT * FROM measurements WHERE date_trunc('day', created_at) > '2024-12-30'",
        "created_at >= '2024-12-31'",
    ),
    (
        "SELECT * FROM measurements WHERE date_trunc('day', created_at) >= '2024-12-30'",
        "created_at >= '2024-12-30'",
    ),
    (
        "SELECT * FROM measurements WHERE '2024-12-30' < date_trunc('day', created_at)",
        "created_at >= '2024-12-31'",
    ),
    (
        "SELECT * FROM measurements WHERE date_trunc('day', created_at) BETWEEN '2024-02-28' AND '2024-03-01'",
        "created_at >= '2024-02-28' AND created_at < '2024-03-02'",
    ),
    (
        "SELECT * FROM measurements WHERE date_trunc('month', created_at) = '2024-02-01'",
        "created_at >= '2024-02-01' AND created_at < '2024-03-01'",
    ),
    (
        "SELECT * FROM measurements WHERE date_trunc('year', created_at) = '2023-01-01'",
        "created_at >= '2023-01-01' AND created_at < '2024-01-01'",
    ),
    (
        "SELECT * FROM measurements WHERE created_at::date = '2024-03-15'",
        "created_at >= '2024-03-15' AND created_at < '2024-03-16'",
    ),
    (
        "SELECT * FROM measurements WHERE created_at::date <= '2024-01-01'",
        "created_at < '2024-01-02'",
    ),
    (
        "SELECT * FROM measurements WHERE extract(year FROM created_at) = 2023",
        "created_at >= '2023-01-01' AND created_at < '2024-01-01'",
    ),
    (
        "SELECT * FROM measurements WHERE extract(year FROM created_at) > 2023",
        "created_at >= '2024-01-01'",
    ),
    // Read in a zone of its own: the bounds are that zone's midnights (DST days included).
    (
        "SELECT * FROM measurements WHERE (created_at AT TIME ZONE 'Europe/Paris')::date = '2024-03-31'",
        "created_at >= ('2024-03-31'::TIMESTAMP AT TIME ZONE 'Europe/Paris') AND created_at < ('2024-04-01'::TIMESTAMP AT TIME ZONE 'Europe/Paris')",
    ),
    (
        "SELECT * FROM measurements WHERE date_trunc('day', created_at AT TIME ZONE 'America/New_York') = '2024-11-03'",
        "created_at < ('2024-11-04'::TIMESTAMP AT TIME ZONE 'America/New_York')",
    ),
    (
        "SELECT * FROM measurements WHERE date_trunc('month', created_at AT TIME ZONE 'Asia/Tokyo') \
         BETWEEN '2024-02-01' AND '2024-03-01'",
        "created_at >= ('2024-02-01'::TIMESTAMP AT TIME ZONE 'Asia/Tokyo') AND created_at < ('2024-04-01'::TIMESTAMP AT TIME ZONE 'Asia/Tokyo')",
    ),
    (
        "SELECT * FROM sales WHERE date_trunc('month', sold_at) = '2024-02-01'",
        "sold_at >= '2024-02-01' AND sold_at < '2024-03-01'",
    ),
    (
        "SELECT * FROM orders WHERE order_id + 1 = 124",
        "order_id = 123",
    ),
    (
        "SELECT * FROM orders WHERE 399000 < order_id - 10",
        "order_id > 399010",
    ),
    (
        "SELECT * FROM orders WHERE order_id - 10 >= 399980",
        "order_id >= 399990",
    ),
    (
        "SELECT * FROM orders WHERE coalesce(order_id, 0) = 123",
        "order_id = 123",
    ),
    ("SELECT * FROM orders WHERE order_id = 123456.0", "order_id = 123456"),
    // A LIST key with no DEFAULT partition holds only listed values: those lower() maps to 'eu'.
    (
        "SELECT * FROM planlint_rewrite_regions WHERE lower(region) = 'eu'",
        "region IN ('eu', 'EU', 'Eu')",
    ),
    (
        "SELECT * FROM planlint_rewrite_regions WHERE upper(region) = 'US'",
        "region IN ('us', 'US')",
    ),
];

#[test]
fn every_rewrite_returns_the_original_rows() {
    let Some(url) = database_url() else { return };
    setup(&url);
    for (original, expected) in EQUIVALENT {
        let (rewrite, cause) = rewrite_of(&url, original);
        let rewrite = rewrite.unwrap_or_else(|| panic!("{original}: no rewrite ({cause})"));
        assert!(rewrite.contains(expected), "{original}: {rewrite}");
        let (missing, extra, rows) = compare(&url, original, &rewrite);
        assert_eq!((missing, extra), (0, 0), "{original} -> {rewrite}");
        // An empty original would prove nothing.
        assert!(rows > 0, "{original}: no rows to compare");
    }
}

/// With TimeZone = Europe/Paris, 2024-03-31 has 23 hours: the day's bounds are read in the
/// session's zone on both sides, so the rewrite returns the original's rows in that session.
#[test]
fn day_rewrites_hold_across_a_daylight_saving_change_in_the_sessions_time_zone() {
    let Some(url) = database_url() else { return };
    setup(&url);
    let url = with(&url, "user", DST_ROLE);
    for original in [
        "SELECT * FROM measurements WHERE date_trunc('day', created_at) = '2024-03-31'",
        "SELECT * FROM measurements WHERE created_at::date = '2024-10-27'",
    ] {
        let (rewrite, cause) = rewrite_of(&url, original);
        let rewrite = rewrite.unwrap_or_else(|| panic!("{original}: no rewrite ({cause})"));
        assert!(cause.contains("session's TimeZone"), "{cause}");
        let (missing, extra, rows) = compare(&url, original, &rewrite);
        assert_eq!((missing, extra), (0, 0), "{original} -> {rewrite}");
        assert!(rows > 0);
    }
}

/// A literal inside a bucket compared by `=` is never a truncated value: no rewrite (the old
/// one returned 2,880 rows where the original returns none), and the cause says so.
#[test]
fn comparisons_that_are_never_true_get_no_rewrite_and_are_named() {
    let Some(url) = database_url() else { return };
    setup(&url);
    for original in [
        "SELECT * FROM measurements WHERE date_trunc('day', created_at) = '2024-03-05 10:00'",
        "SELECT * FROM measurements WHERE date_trunc('month', created_at) = '2024-03-15'",
    ] {
        let (rewrite, cause) = rewrite_of(&url, original);
        assert_eq!(rewrite, None, "{original}");
        assert!(
            cause.contains("never equals") && cause.contains("returns no rows"),
            "{original}: {cause}"
        );
        let (_, _, rows) = compare(&url, original, original);
        assert_eq!(rows, 0, "{original}");
        // A finding of its own, too.
        let (report, _, _) = check_json(&url, &[original]);
        let never = finding_of(&report, "never-true").expect("a never-true finding");
        assert!(
            never["message"]
                .as_str()
                .unwrap()
                .ends_with("so the statement matches no row"),
            "{never}"
        );
    }
}

/// Where equivalence cannot be shown, nothing is offered: a literal with its own time zone,
/// a coalesce whose default is the compared value (NULL keys match), a parameter, a key that is
/// no timestamptz shifted AT TIME ZONE.
#[test]
fn rewrites_that_could_change_the_rows_are_not_offered() {
    let Some(url) = database_url() else { return };
    setup(&url);
    for original in [
        "SELECT * FROM measurements WHERE date_trunc('day', created_at) = '2024-03-15 00:00+02'",
        "SELECT * FROM orders WHERE coalesce(order_id, 123) = 123",
        "SELECT * FROM measurements WHERE date_trunc('day', created_at) = $1",
        // A date key shifted AT TIME ZONE is first read as a timestamptz in the session's zone.
        "SELECT * FROM sales WHERE (sold_at AT TIME ZONE 'Asia/Tokyo')::date = '2024-02-01'",
        // A DEFAULT partition may hold 'Eu' or 'EU': lower() cannot become a list.
        "SELECT * FROM accounts_by_region WHERE lower(region) = 'eu'",
    ] {
        let (rewrite, _) = rewrite_of(&url, original);
        assert_eq!(rewrite, None, "{original}");
    }
}
