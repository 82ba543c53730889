//! auto_explain on the test server (`scripts/test.sh` preloads it): a workload of two
//! concurrent sessions, logged in auto_explain's text and JSON formats to the server's stderr
//! log, read back by `planlint analyze` from the slice of the log it wrote.

use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::thread;

use postgres::{Client, NoTls};
use serde_json::Value;

mod common;
use common::{database_url, planlint};

/// Executions of the statement that scans every partition of orders.
const UNPRUNED_CALLS: usize = 6;
/// Executions of the lookup by order_id, pruned to one partition.
const PRUNED_CALLS: usize = 4;

/// The server's log file; without one, CI fails and a local run says it skips.
fn server_log() -> Option<String> {
    match std::env::var("PLANLINT_TEST_SERVER_LOG") {
        Ok(path) if !path.is_empty() => Some(path),
        _ if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
            panic!("CI=true but PLANLINT_TEST_SERVER_LOG is not set: run scripts/test.sh")
        }
        _ => {
            eprintln!("SKIPPED: needs the test server's log (PLANLINT_TEST_SERVER_LOG)");
            None
        }
    }
}

/// Whether the server has auto_explain loaded; under CI it must.
fn auto_explain_loaded(client: &mut Client) -> bool {
    let libraries: String = client
        .query_one("SELECT current_setting('shared_preload_libraries')", &[])
        .unwrap()
        .get(0);
    if libraries.contains("auto_explain") {
        return true;
    }
    assert!(
        !std::env::var("CI").is_ok_and(|ci| ci == "true"),
        "CI=true but auto_explain is not preloaded: run the suite with scripts/test.sh"
    );
    eprintln!("SKIPPED: needs auto_explain in shared_preload_libraries (scripts/test.sh)");
    false
}

/// A session that logs every plan in `format`, under ANALYZE.
fn logging_session(url: &str, format: &str) -> Client {
    let mut client = Client::connect(url, NoTls).unwrap();
    client
        .batch_execute(&format!(
            "SET auto_explain.log_min_duration = 0; SET auto_explain.log_analyze = on; \
             SET auto_explain.log_format = {format}"
        ))
        .unwrap();
    client
}

/// Runs the workload in two sessions at once; `tag` makes its statements its own.
fn workload(url: &str, format: &str, tag: &str) {
    let scans = {
        let (url, format, tag) = (url.to_owned(), format.to_owned(), tag.to_owned());
        thread::spawn(move || {
            let mut client = logging_session(&url, &format);
            for n in 0..UNPRUNED_CALLS {
                client
                    .simple_query(&format!(
                        "SELECT /* {tag} */ * FROM orders WHERE customer_id = {}",
                        n * 13 + 5
                    ))
                    .unwrap();
            }
        })
    };
    let mut client = logging_session(url, format);
    for n in 0..PRUNED_CALLS {
        client
            .simple_query(&format!(
                "SELECT /* {tag} */ * FROM orders WHERE order_id = {}",
                n * 1000 + 7
            ))
            .unwrap();
    }
    scans.join().unwrap();
}

/// The bytes the server appended to `log` since `from`.
fn appended(log: &str, from: u64) -> String {
    let mut file = fs::File::open(log).unwrap();
    file.seek(SeekFrom::Start(from)).unwrap();
    let mut text = String::new();
    file.read_to_string(&mut text).unwrap();
    text
}

#[test]
fn a_logged_workload_is_read_back_with_its_statements_and_times() {
    let (Some(url), Some(log)) = (database_url(), server_log()) else {
        return;
    };
    let mut client = Client::connect(&url, NoTls).unwrap();
    if !auto_explain_loaded(&mut client) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for format in ["text", "json"] {
        let tag = format!("planlint-live-logs-{format}-{}", std::process::id());
        let start = fs::metadata(&log).unwrap().len();
        workload(&url, format, &tag);
        let slice = dir.path().join(format!("{format}.log"));
        let text = appended(&log, start);
        fs::write(&slice, &text).unwrap();
        let output = planlint()
            .args(["analyze", "--format", "json"])
            .arg(&slice)
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&output.stderr)));
        let ours: Vec<&Value> = report["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|result| result["query"].as_str().unwrap_or("").contains(&tag))
            .collect();
        assert_eq!(ours.len(), 2, "{format}: {report:#}");
        let (top, pruned) = (ours[0], ours[1]);
        assert!(
            top["query"].as_str().unwrap().contains("customer_id = 5"),
            "{format}: the unpruned scan comes first: {top:#}"
        );
        assert_eq!(top["calls"], UNPRUNED_CALLS, "{format}");
        assert!(
            top["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|finding| finding["rule"] == "unpruned-partitions"),
            "{format}: {top:#}"
        );
        assert_eq!(pruned["calls"], PRUNED_CALLS, "{format}");
        let lines: Vec<&str> = text.lines().collect();
        for result in [top, pruned] {
            let line = usize::try_from(result["log_line"].as_u64().unwrap()).unwrap();
            let duration = result["duration_ms"].as_f64().unwrap();
            assert!(
                lines[line - 1].contains(&format!("duration: {duration:.3} ms  plan:")),
                "{format}: line {line}: {}",
                lines[line - 1]
            );
        }
    }
}

#[test]
fn statements_logged_without_a_plan_are_explained_with_db() {
    let (Some(url), Some(log)) = (database_url(), server_log()) else {
        return;
    };
    let tag = format!("planlint-live-unplanned-{}", std::process::id());
    let start = fs::metadata(&log).unwrap().len();
    // log_min_duration_statement logs the statement and its time, without a plan.
    let mut client = Client::connect(&url, NoTls).unwrap();
    client
        .batch_execute("SET log_min_duration_statement = 0; SET auto_explain.log_min_duration = -1")
        .unwrap();
    for n in 0..3 {
        client
            .simple_query(&format!(
                "SELECT /* {tag} */ * FROM orders WHERE customer_id = {}",
                n * 7 + 1
            ))
            .unwrap();
    }
    client.batch_execute("SET work_mem = '8MB'").unwrap();
    drop(client);
    let dir = tempfile::tempdir().unwrap();
    let slice = dir.path().join("unplanned.log");
    fs::write(&slice, appended(&log, start)).unwrap();

    // Without --db they are counted.
    let counted = planlint()
        .args(["analyze", "--format", "json"])
        .arg(&slice)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&counted.stderr);
    assert!(stderr.contains("logged without a plan"), "{stderr}");
    assert!(stderr.contains("`--db` would explain them"), "{stderr}");

    // With --db, each is explained live and analysed with what the log measured of it.
    let output = planlint()
        .args(["analyze", "--format", "json", "--db", &url])
        .arg(&slice)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let results = report["results"].as_array().unwrap();
    let ours: Vec<&Value> = results
        .iter()
        .filter(|result| result["query"].as_str().is_some_and(|q| q.contains(&tag)))
        .collect();
    // The three differ only in their constant: one statement, grouped as the log's plans are.
    assert_eq!(ours.len(), 1, "{report}\n{stderr}");
    for result in ours {
        assert_eq!(result["calls"], 3, "{result}");
        assert_eq!(
            result["findings"][0]["impact"]["basis"], "statement-time",
            "{result}"
        );
        assert!(result["duration_ms"].as_f64().is_some(), "{result}");
        let rules: Vec<&str> = result["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|finding| finding["rule"].as_str().unwrap())
            .collect();
        assert!(rules.contains(&"unpruned-partitions"), "{result}");
    }
    assert!(
        stderr.contains("not explainable"),
        "the SET is counted as what it is: {stderr}"
    );
}
