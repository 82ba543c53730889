//! The catalog read does not wait behind a lock on a table it has no business with: another
//! session (a migration) holds ACCESS EXCLUSIVE on one partition while planlint checks
//! statements.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use predicates::prelude::*;
use serde_json::Value;

mod common;
use common::{check_json, database_url, url_from};

/// A psql session that holds an ACCESS EXCLUSIVE lock on `table` until it is dropped.
struct LockHolder(Child);

impl LockHolder {
    fn lock(conninfo: &str, table: &str) -> Self {
        let pg_ctl = url_from("PLANLINT_TEST_PG_CTL", "the test server's pg_ctl").unwrap();
        let psql = PathBuf::from(pg_ctl).with_file_name("psql");
        let mut child = Command::new(psql)
            .args(["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", conninfo])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("psql starts");
        let stdin = child.stdin.as_mut().unwrap();
        writeln!(
            stdin,
            "BEGIN; LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE; SELECT 'locked';"
        )
        .unwrap();
        stdin.flush().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(
            line.trim(),
            "locked",
            "the lock is taken before the test goes on"
        );
        Self(child)
    }
}

impl Drop for LockHolder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_lock_on_one_partition_neither_stalls_nor_blurs_the_catalog() {
    let Some(url) = database_url() else {
        return;
    };
    let holder = LockHolder::lock(&url, "measurements_2024_01");
    // A statement on another table: its catalog read does not touch the locked partition.
    let (report, code, stderr) = check_json(
        &url,
        &[
            "--lock-timeout",
            "2s",
            "SELECT * FROM customers WHERE email = 'user4242@example.com'",
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(!stderr.contains("catalog"), "{stderr}");
    assert_eq!(report["summary"]["failed_inputs"], 0, "{report}");
    // A statement on the locked partition's parent, pruned to March and April: the verdict
    // stays exact (2 of 13 partitions, the total from the catalog), and the locked partition
    // is named once, with why.
    let (report, _, stderr) = check_json(
        &url,
        &[
            "--lock-timeout",
            "2s",
            "SELECT * FROM measurements WHERE created_at >= '2024-03-01' AND created_at < '2024-05-01'",
        ],
    );
    let warning =
        "planlint: warning: catalog: public.measurements_2024_01 is locked by another session";
    assert_eq!(stderr.matches(warning).count(), 1, "{stderr}");
    assert!(
        stderr.contains("holds an ACCESS EXCLUSIVE lock"),
        "{stderr}"
    );
    assert_eq!(report["summary"]["failed_inputs"], 0, "{report}");
    let scan = &report["results"][0]["partitions"][0];
    assert_eq!(
        (&scan["partitions_in_plan"], &scan["partitions_total"]),
        (&Value::from(2), &Value::from(13)),
        "{report}"
    );
    drop(holder);
    // Without the lock, nothing is said.
    let (_, _, stderr) = check_json(
        &url,
        &["SELECT * FROM measurements WHERE created_at >= '2024-03-01'"],
    );
    assert!(
        predicate::str::contains("catalog").not().eval(&stderr),
        "{stderr}"
    );
}
