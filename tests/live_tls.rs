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

#[test]
fn require_checks_the_chain_when_a_root_certificate_is_at_hand() {
    let Some((base, dir)) = tls_setup() else {
        return;
    };
    // As libpq: with sslrootcert, require checks the chain (not the host name, as verify-ca).
    check(&format!(
        "{base} host=127.0.0.1 sslmode=require sslrootcert={dir}/ca.pem"
    ))
    .code(0);
    check(&format!(
        "{base} host=127.0.0.1 sslmode=require sslrootcert={dir}/wrong-ca.pem"
    ))
    .code(2)
    .stderr(predicate::str::contains("UnknownIssuer"));
    // ~/.postgresql/root.crt counts as a root certificate too.
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join(".postgresql")).unwrap();
    std::fs::copy(
        format!("{dir}/wrong-ca.pem"),
        home.path().join(".postgresql/root.crt"),
    )
    .unwrap();
    planlint()
        .env("HOME", home.path())
        .args([
            "check",
            "--db",
            &format!("{base} host=127.0.0.1 sslmode=require"),
            "SELECT 1",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("UnknownIssuer"));
}

#[test]
fn prefer_falls_back_to_a_plain_connection_when_the_handshake_fails() {
    let Some((base, dir)) = tls_setup() else {
        return;
    };
    // The test server takes plain connections too; the wrong CA fails the handshake.
    planlint()
        .args([
            "check",
            "--verbose",
            "--db",
            &format!("{base} host=127.0.0.1 sslmode=prefer sslrootcert={dir}/wrong-ca.pem"),
            "SELECT 1",
        ])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "the TLS handshake failed (invalid peer certificate: UnknownIssuer); connected without TLS",
        ));
}

/// The TLS-only server with a self-signed X.509 version 1 certificate (as Citus makes), and the
/// directory of that certificate.
fn version_1_server() -> Option<(String, String)> {
    Some((
        url_from(
            "PLANLINT_TEST_V1_CERT_URL",
            "a server with a version 1 certificate",
        )?,
        url_from("PLANLINT_TEST_TLS_DIR", "the test server's TLS setup")?,
    ))
}

/// `planlint check` of `SELECT 1` (that server holds no fixture tables).
fn select_one(conninfo: &str) -> assert_cmd::assert::Assert {
    planlint()
        .args(["check", "--db", conninfo, "SELECT 1"])
        .assert()
}

#[test]
fn a_version_1_certificate_is_accepted_where_libpq_accepts_it() {
    let Some((url, dir)) = version_1_server() else {
        return;
    };
    // The server refuses plain connections: connecting at all proves TLS was used.
    for mode in ["prefer", "require"] {
        select_one(&format!("{url} sslmode={mode}")).code(0);
    }
    // SCRAM with channel binding hashes the certificate, whatever its version.
    select_one(&format!(
        "{url} user=planlint_password password=planlint-test-password sslmode=require channel_binding=require"
    ))
    .code(0);
    // Trusted as its own root; verify-full reads the host name from its common name.
    select_one(&format!("{url} sslmode=verify-ca sslrootcert={dir}/v1.crt")).code(0);
    let named = url.replace("host=127.0.0.1", "host=localhost");
    select_one(&format!(
        "{named} sslmode=verify-full sslrootcert={dir}/v1.crt"
    ))
    .code(0);
    select_one(&format!(
        "{url} sslmode=verify-full sslrootcert={dir}/v1.crt"
    ))
    .code(2)
    .stderr(predicate::str::contains("NotValidForName"));
    // Another CA does not vouch for it, and the message says why a version 1 certificate is
    // special.
    select_one(&format!("{url} sslmode=verify-ca sslrootcert={dir}/ca.pem"))
        .code(2)
        .stderr(predicate::str::contains("X.509 version 1"));
}
