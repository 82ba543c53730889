//! Connections as libpq makes them, against the test servers `scripts/test.sh` starts: several
//! hosts tried in order, `target_session_attrs` picking the primary or the hot standby, and
//! `options` applied directly and through PgBouncer (which drops start-up options).

use predicates::prelude::*;

mod common;
use common::{planlint, url_from};

/// The `port=` of a `key=value` conninfo.
fn port_of(conninfo: &str) -> String {
    conninfo
        .split_whitespace()
        .find_map(|pair| pair.strip_prefix("port="))
        .expect("the test conninfo names its port")
        .to_owned()
}

/// The primary's and the hot standby's ports.
fn ports() -> Option<(String, String)> {
    let primary = url_from("PLANLINT_TEST_DATABASE_URL", "the test server")?;
    let replica = url_from(
        "PLANLINT_TEST_REPLICA_URL",
        "a hot standby of the test server",
    )?;
    Some((port_of(&primary), port_of(&replica)))
}

/// `planlint check --verbose` of `sql` against `conninfo`.
fn check(conninfo: &str, sql: &str) -> assert_cmd::assert::Assert {
    planlint()
        .args(["check", "--verbose", "--db", conninfo, sql])
        .assert()
}

fn two_hosts(first: &str, second: &str, attrs: &str) -> String {
    format!(
        "host=127.0.0.1,127.0.0.1 port={first},{second} user=postgres dbname=postgres \
         sslmode=disable target_session_attrs={attrs}"
    )
}

#[test]
fn target_session_attrs_picks_the_standby_or_the_primary_among_the_hosts() {
    let Some((primary, replica)) = ports() else {
        return;
    };
    let connected_to = |port: &str| {
        predicate::str::contains(format!("planlint: connected to postgres@127.0.0.1:{port}/"))
    };
    for attrs in ["standby", "read-only", "prefer-standby"] {
        check(&two_hosts(&primary, &replica, attrs), "SELECT 1")
            .code(0)
            .stderr(connected_to(&replica))
            .stderr(predicate::str::contains(format!(
                "127.0.0.1:{primary}/postgres: is a primary, not what"
            )));
    }
    for attrs in ["primary", "read-write"] {
        check(&two_hosts(&replica, &primary, attrs), "SELECT 1")
            .code(0)
            .stderr(connected_to(&primary))
            .stderr(predicate::str::contains("is a hot standby, not what"));
    }
    // prefer-standby settles for a primary when no host is a standby.
    check(&two_hosts(&primary, &primary, "prefer-standby"), "SELECT 1")
        .code(0)
        .stderr(connected_to(&primary));
    // standby with no standby among the hosts: one line naming each host and why.
    check(&two_hosts(&primary, &primary, "standby"), "SELECT 1")
        .code(2)
        .stderr(predicate::str::contains(
            "no host could be used (target_session_attrs=standby)",
        ));
}

#[test]
fn a_host_that_does_not_answer_is_passed_over() {
    let Some((primary, _)) = ports() else {
        return;
    };
    // Port 1 on loopback refuses at once.
    check(&two_hosts("1", &primary, "any"), "SELECT 1")
        .code(0)
        .stderr(predicate::str::contains(
            "127.0.0.1:1/postgres: error connecting",
        ))
        .stderr(predicate::str::contains(format!(
            "connected to postgres@127.0.0.1:{primary}/"
        )));
}

#[test]
fn options_set_the_search_path_directly_and_through_pgbouncer() {
    let Some(primary) = url_from("PLANLINT_TEST_DATABASE_URL", "the test server") else {
        return;
    };
    let Some(pgbouncer) = url_from(
        "PLANLINT_TEST_PGBOUNCER_URL",
        "PgBouncer in transaction-pooling mode",
    ) else {
        return;
    };
    let sql = "SELECT * FROM countries WHERE code = 'NL'";
    // The table is found on the default search path...
    check(&primary, sql).code(0);
    // ...and not on the one `options` sets, which the server applies at start-up...
    check(
        &format!("{primary} options='-c search_path=pg_catalog'"),
        sql,
    )
    .code(2)
    .stderr(predicate::str::contains(
        "options: search_path=pg_catalog in effect (applied by the server at start-up)",
    ))
    .stderr(predicate::str::contains(
        "relation \"countries\" does not exist",
    ));
    // ...and PgBouncer drops, so planlint sets it in each transaction.
    check(
        &format!("{pgbouncer} options='-c search_path=pg_catalog'"),
        sql,
    )
    .code(2)
    .stderr(predicate::str::contains(
        "options: search_path=pg_catalog not in effect",
    ))
    .stderr(predicate::str::contains(
        "relation \"countries\" does not exist",
    ));
    // PGOPTIONS counts as well.
    planlint()
        .env("PGOPTIONS", "-c search_path=pg_catalog")
        .args(["check", "--db", &pgbouncer, sql])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "relation \"countries\" does not exist",
        ));
}

#[test]
fn verbose_shows_the_parameters_but_never_the_password() {
    let Some(primary) = url_from("PLANLINT_TEST_DATABASE_URL", "the test server") else {
        return;
    };
    check(
        &format!("{primary} password=secret-never-shown keepalives_idle=30"),
        "SELECT 1",
    )
    .code(0)
    .stderr(predicate::str::contains(
        "planlint: connecting with host=127.0.0.1",
    ))
    .stderr(predicate::str::contains("password=(given)"))
    .stderr(predicate::str::contains("sslmode=disable: no TLS"))
    .stderr(predicate::str::contains("secret-never-shown").not());
}
