//! TLS against the test server, whose certificate `scripts/test.sh` issues for "localhost" from
//! a CA it makes (PLANLINT_TEST_TLS_DIR holds ca.pem and an unrelated wrong-ca.pem).

use assert_cmd::Command;
use predicates::prelude::*;

/// The test server's conninfo with `sslmode` and `host` replaced, and the TLS directory.
fn tls_setup() -> Option<(String, String)> {
    let url = std::env::var("PLANLINT_TEST_DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty());
    let dir = std::env::var("PLANLINT_TEST_TLS_DIR")
        .ok()
        .filter(|dir| !dir.is_empty());
    match (url, dir) {
        (Some(url), Some(dir)) => {
            let base: Vec<&str> = url
                .split_whitespace()
                .filter(|pair| !pair.starts_with("sslmode=") && !pair.starts_with("host="))
                .collect();
            Some((base.join(" "), dir))
        }
        _ if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
            panic!(
                "CI=true but the TLS test server is not set up: run the suite with scripts/test.sh"
            )
        }
        _ => {
            eprintln!("SKIPPED: TLS tests need scripts/test.sh (PLANLINT_TEST_DATABASE_URL, PLANLINT_TEST_TLS_DIR)");
            None
        }
    }
}

fn check(conninfo: &str) -> assert_cmd::assert::Assert {
    Command::cargo_bin("planlint")
        .unwrap()
        .env_remove("PGSSLROOTCERT")
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
