//! TLS against the test server, whose certificate `scripts/test.sh` issues for "localhost" from
//! a CA it makes (PLANLINT_TEST_TLS_DIR holds ca.pem and an unrelated wrong-ca.pem).

use predicates::prelude::*;

mod common;
use common::{database_url, planlint, url_from};

/// The test server's conninfo without `host` and `sslmode` (each test sets them), and the
/// directory with the CA files.
fn tls_setup() -> Option<(String, String)> {
    let url = database_url()?;
    let dir = url_from("PLANLINT_TEST_TLS_DIR", "the test server's TLS setup")?;
    let base: Vec<&str> = url
        .split_whitespace()
        .filter(|pair| !pair.starts_with("sslmode=") && !pair.starts_with("host="))
        .collect();
    Some((base.join(" "), dir))
}

fn check(conninfo: &str) -> assert_cmd::assert::Assert {
    planlint()
        .args([
            "check",
            "--db",
            conninfo,
            "SELECT * FROM countries WHERE code = 'NL'",
        ])
        .assert()
}

#[test]
fn verify_full_connects_with_the_right_ca_and_host_name() {
    let Some((base, dir)) = tls_setup() else {
        return;
    };
    check(&format!(
        "{base} host=localhost sslmode=verify-full sslrootcert={dir}/ca.pem"
    ))
    .code(0);
}

#[test]
fn verify_full_refuses_a_certificate_from_another_ca() {
    let Some((base, dir)) = tls_setup() else {
        return;
    };
    check(&format!(
        "{base} host=localhost sslmode=verify-full sslrootcert={dir}/wrong-ca.pem"
    ))
    .code(2)
    .stderr(predicate::str::contains("certificate"));
}

#[test]
fn verify_full_refuses_a_certificate_for_another_host_name() {
    let Some((base, dir)) = tls_setup() else {
        return;
    };
    check(&format!(
        "{base} host=127.0.0.1 sslmode=verify-full sslrootcert={dir}/ca.pem"
    ))
    .code(2)
    .stderr(predicate::str::contains("certificate"));
}

#[test]
fn verify_ca_checks_the_chain_but_not_the_host_name() {
    let Some((base, dir)) = tls_setup() else {
        return;
    };
    check(&format!(
        "{base} host=127.0.0.1 sslmode=verify-ca sslrootcert={dir}/ca.pem"
    ))
    .code(0);
    check(&format!(
        "{base} host=127.0.0.1 sslmode=verify-ca sslrootcert={dir}/wrong-ca.pem"
    ))
    .code(2);
}

#[test]
fn require_encrypts_without_a_ca() {
    let Some((base, _)) = tls_setup() else { return };
    check(&format!("{base} host=127.0.0.1 sslmode=require")).code(0);
}
