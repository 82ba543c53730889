//! Helpers shared by the live test files: the test servers `scripts/test.sh` starts, and
//! running `planlint` as users do.

#![allow(dead_code)] // each test file uses its own subset

use assert_cmd::Command;
use serde_json::Value;

pub mod captures;

/// The conninfo in `variable`; without one, CI fails and a local run says loudly it skips.
pub fn url_from(variable: &str, what: &str) -> Option<String> {
    match std::env::var(variable) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
            panic!("CI=true but {variable} is not set: run the suite with scripts/test.sh")
        }
        _ => {
            eprintln!("SKIPPED: live test needs {what} ({variable}); scripts/test.sh sets it up");
            None
        }
    }
}

/// The test server's conninfo (a `key=value` string).
pub fn database_url() -> Option<String> {
    url_from("PLANLINT_TEST_DATABASE_URL", "the test server")
}

/// `conninfo` with its `key=value` pairs for `key` replaced (or added).
pub fn with(conninfo: &str, key: &str, value: &str) -> String {
    let prefix = format!("{key}=");
    let mut pairs: Vec<String> = conninfo
        .split_whitespace()
        .filter(|pair| !pair.starts_with(&prefix))
        .map(str::to_owned)
        .collect();
    pairs.push(format!("{key}={value}"));
    pairs.join(" ")
}

/// The `planlint` binary, with none of the environment's connection, color or GitHub Actions
/// variables (a test sets what it needs).
pub fn planlint() -> Command {
    let mut command = Command::cargo_bin("planlint").unwrap();
    for variable in [
        "DATABASE_URL",
        "PGHOST",
        "PGPORT",
        "PGUSER",
        "PGPASSWORD",
        "PGPASSFILE",
        "PGDATABASE",
        "PGSSLMODE",
        "PGSSLROOTCERT",
        "PGHOSTADDR",
        "PGOPTIONS",
        "PGTARGETSESSIONATTRS",
        "PGCONNECT_TIMEOUT",
        "PGAPPNAME",
        "GITHUB_ACTIONS",
        "NO_COLOR",
        "CLICOLOR_FORCE",
    ] {
        command.env_remove(variable);
    }
    // No ~/.pgpass or ~/.postgresql/root.crt of whoever runs the tests.
    command.env("HOME", std::env::temp_dir().join("planlint-tests-no-home"));
    command
}

/// `planlint check --format json` with `args`: the report, the exit code and stderr.
pub fn check_json(url: &str, args: &[&str]) -> (Value, i32, String) {
    let output = planlint()
        .args(["check", "--db", url, "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (
        report,
        output.status.code().unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// The first finding of `rule` in the report's first result.
pub fn finding_of<'a>(report: &'a Value, rule: &str) -> Option<&'a Value> {
    report["results"][0]["findings"]
        .as_array()?
        .iter()
        .find(|finding| finding["rule"] == rule)
}
