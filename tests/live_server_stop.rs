//! The server itself stopped in the middle of a batch. `scripts/test.sh` starts a disposable
//! PostgreSQL for this (PLANLINT_TEST_DISPOSABLE_URL, with its data directory, pg_ctl and the OS
//! user to run pg_ctl as), so the shared test server the other tests use is left alone. Under CI
//! this test never skips.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;
use common::{planlint, url_from};

/// The disposable server and how to stop it.
struct Disposable {
    url: String,
    data_dir: String,
    pg_ctl: String,
    os_user: String,
}

fn disposable() -> Option<Disposable> {
    let url = url_from(
        "PLANLINT_TEST_DISPOSABLE_URL",
        "a disposable server the test may stop",
    )?;
    let variable = |name: &str| {
        std::env::var(name)
            .unwrap_or_else(|_| panic!("{name} must be set with PLANLINT_TEST_DISPOSABLE_URL"))
    };
    Some(Disposable {
        url,
        data_dir: variable("PLANLINT_TEST_DISPOSABLE_DATA_DIR"),
        pg_ctl: variable("PLANLINT_TEST_PG_CTL"),
        os_user: variable("PLANLINT_TEST_DISPOSABLE_OS_USER"),
    })
}

impl Disposable {
    /// `pg_ctl stop -m fast`, waiting for the shutdown to complete: every backend is told to
    /// terminate, and the postmaster exits.
    fn stop_fast(&self) {
        let pg_ctl = [
            self.pg_ctl.as_str(),
            "stop",
            "-D",
            &self.data_dir,
            "-m",
            "fast",
            "-w",
            "-t",
            "30",
        ];
        // pg_ctl refuses to run as root: run it as the server's own user then.
        let mut command = if self.os_user.is_empty() {
            Command::new(pg_ctl[0])
        } else {
            let mut command = Command::new("runuser");
            command.args(["-u", &self.os_user, "--", pg_ctl[0]]);
            command
        };
        let output = command.args(&pg_ctl[1..]).output().unwrap();
        assert!(output.status.success(), "pg_ctl stop: {output:?}");
    }
}

/// Polls `condition` (a query returning a boolean) until it holds; fails after 30 s.
fn wait_for(client: &mut postgres::Client, condition: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !client.query_one(condition, &[]).unwrap().get::<_, bool>(0) {
        assert!(Instant::now() < deadline, "never true: {condition}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_server_stopped_mid_batch_is_one_line_exit_2_and_keeps_the_findings_so_far() {
    let Some(server) = disposable() else { return };
    let mut admin = postgres::Client::connect(&server.url, postgres::NoTls).unwrap();
    admin
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS readings AS
                 SELECT g AS id, g % 1000 AS sensor_id FROM generate_series(1, 50000) AS g;
             ANALYZE readings;",
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("batch.sql");
    // One statement with findings, checked before the stop; one the server is running when it
    // stops (far longer than the test waits, shorter than the timeout); two after it.
    std::fs::write(
        &file,
        "SELECT * FROM readings WHERE sensor_id = 7;\n\
         SELECT pg_sleep(600), 'planlint_stop_marker';\n\
         SELECT * FROM readings WHERE id = 5;\n\
         SELECT count(*) FROM readings;\n",
    )
    .unwrap();
    let name = file.display().to_string();
    let url = server.url.clone();
    let batch = file.clone();
    let run = std::thread::spawn(move || {
        // Killed (and so failing below) if it hangs.
        planlint()
            .timeout(Duration::from_secs(120))
            .args(["check", "--db", &url, "--format", "json", "--analyze"])
            .args(["--timeout", "15min", "-f", batch.to_str().unwrap()])
            .output()
            .unwrap()
    });
    // The second statement is in flight once its backend sleeps in pg_sleep.
    wait_for(
        &mut admin,
        "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE application_name = 'planlint'
             AND wait_event = 'PgSleep' AND query LIKE '%planlint_stop_marker%')",
    );
    drop(admin);
    let stopping = Instant::now();
    server.stop_fast();
    let output = run.join().unwrap();
    let after_stop = stopping.elapsed();

    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "killed after hanging, or the wrong exit: {stderr}"
    );
    assert!(
        after_stop < Duration::from_secs(20),
        "planlint took {after_stop:?} after the stop"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(&format!("planlint: error: {name}:2:1: ")),
        "the line names the statement in flight: {stderr}"
    );
    assert!(
        stderr.contains("terminating connection due to administrator command [SQLSTATE 57P01]")
            || stderr.contains("the server closed the connection"),
        "and what happened: {stderr}"
    );
    assert!(stderr.contains("2 more statements not checked"), "{stderr}");

    let report: Value = serde_json::from_slice(&output.stdout).expect("the report is printed");
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{report}");
    assert_eq!(results[0]["source"], format!("{name}:1:1"));
    let rules: Vec<&str> = results[0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["rule"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"missing-index"),
        "the findings made before the stop are kept: {rules:?}"
    );
    let errors: Vec<(&str, &str)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| {
            (
                error["source"].as_str().unwrap(),
                error["kind"].as_str().unwrap(),
            )
        })
        .collect();
    let (second, third, fourth) = (
        format!("{name}:2:1"),
        format!("{name}:3:1"),
        format!("{name}:4:1"),
    );
    assert_eq!(
        errors,
        [
            (second.as_str(), "connection"),
            (third.as_str(), "connection"),
            (fourth.as_str(), "connection"),
        ]
    );
    assert_eq!(report["summary"]["failed_inputs"], 3);
}
