//! auto_explain on the test server (`scripts/test.sh` preloads it): a workload of two
//! concurrent sessions, logged in auto_explain's text and JSON formats to the server's stderr
//! log, read back by `planlint analyze` from the slice of the log it wrote; the same on its hot
//! standby (its own log) and through PgBouncer. The same workload
//! on the server with the logging collector (`PLANLINT_TEST_COLLECTOR_URL`) is read back from
//! each of the stderr, csvlog and jsonlog files it writes at once.

use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use postgres::{Client, NoTls};
use serde_json::Value;

mod common;
use common::{database_url, planlint, url_from};

/// Executions of the statement that scans every partition of orders.
const UNPRUNED_CALLS: usize = 6;
/// Executions of the lookup by order_id, pruned to one partition.
const PRUNED_CALLS: usize = 4;

/// The JSON report of `planlint analyze` on the log at `path`; `what` names it in a failure.
fn analyze_json(path: &Path, what: &str) -> Value {
    let output = planlint()
        .args(["analyze", "--format", "json"])
        .arg(path)
        .output()
        .unwrap();
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("{what}: {}", String::from_utf8_lossy(&output.stderr)))
}

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

/// Runs `sql` in a transaction of its own that logs its plan in `format`, under ANALYZE: set
/// per transaction, so that it holds through PgBouncer's transaction pooling too. The statement
/// goes alone, so that it is all auto_explain logs as its text.
fn run_logged(client: &mut Client, format: &str, sql: &str) {
    client
        .batch_execute(&format!(
            "BEGIN; SET LOCAL auto_explain.log_min_duration = 0; \
             SET LOCAL auto_explain.log_analyze = on; SET LOCAL auto_explain.log_format = {format}"
        ))
        .unwrap();
    client.simple_query(sql).unwrap();
    client.batch_execute("COMMIT").unwrap();
}

/// Runs the workload in two sessions at once; `tag` makes its statements its own.
fn workload(url: &str, format: &str, tag: &str) {
    let scans = {
        let (url, format, tag) = (url.to_owned(), format.to_owned(), tag.to_owned());
        thread::spawn(move || {
            let mut client = Client::connect(&url, NoTls).unwrap();
            for n in 0..UNPRUNED_CALLS {
                let sql = format!(
                    "SELECT /* {tag} */ * FROM orders WHERE customer_id = {}",
                    n * 13 + 5
                );
                run_logged(&mut client, &format, &sql);
            }
        })
    };
    let mut client = Client::connect(url, NoTls).unwrap();
    for n in 0..PRUNED_CALLS {
        let sql = format!(
            "SELECT /* {tag} */ * FROM orders WHERE order_id = {}",
            n * 1000 + 7
        );
        run_logged(&mut client, format, &sql);
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
    // The standby has the primary's settings (auto_explain preloaded) and a log of its own;
    // through PgBouncer the workload lands in the primary's log.
    let mut places = vec![("the primary", url, log.clone())];
    if let (Some(replica), Some(replica_log)) = (
        url_from(
            "PLANLINT_TEST_REPLICA_URL",
            "a hot standby of the test server",
        ),
        url_from("PLANLINT_TEST_REPLICA_LOG", "the hot standby's log"),
    ) {
        places.push(("the hot standby", replica, replica_log));
    }
    if let Some(pgbouncer) = url_from("PLANLINT_TEST_PGBOUNCER_URL", "PgBouncer") {
        places.push(("PgBouncer", pgbouncer, log));
    }
    let dir = tempfile::tempdir().unwrap();
    for (place, url, log) in &places {
        for format in ["text", "json"] {
            read_back(place, url, log, format, dir.path());
        }
    }
}

/// Runs the workload at `url` with plans logged in `format`, and reads it back from `log`.
fn read_back(place: &str, url: &str, log: &str, format: &str, dir: &Path) {
    let what = format!("{place}, {format}");
    let tag = format!(
        "planlint-live-logs-{}-{format}-{}",
        place.replace(' ', "-"),
        std::process::id()
    );
    let start = fs::metadata(log).unwrap().len();
    workload(url, format, &tag);
    let slice = dir.join(format!("{tag}.log"));
    let text = appended(log, start);
    fs::write(&slice, &text).unwrap();
    let report = analyze_json(&slice, &what);
    let ours: Vec<&Value> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|result| result["query"].as_str().unwrap_or("").contains(&tag))
        .collect();
    assert_eq!(ours.len(), 2, "{what}: {report:#}");
    let (top, pruned) = (ours[0], ours[1]);
    // The statement as the application sent it, nothing around it.
    assert!(
        top["query"].as_str().unwrap().starts_with("SELECT /* ")
            && top["query"].as_str().unwrap().ends_with("customer_id = 5"),
        "{what}: the unpruned scan comes first: {top:#}"
    );
    assert_eq!(top["calls"], UNPRUNED_CALLS, "{what}");
    assert!(
        top["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|finding| finding["rule"] == "unpruned-partitions"),
        "{what}: {top:#}"
    );
    assert_eq!(pruned["calls"], PRUNED_CALLS, "{what}");
    let lines: Vec<&str> = text.lines().collect();
    for result in [top, pruned] {
        let line = usize::try_from(result["log_line"].as_u64().unwrap()).unwrap();
        let duration = result["duration_ms"].as_f64().unwrap();
        assert!(
            lines[line - 1].contains(&format!("duration: {duration:.3} ms  plan:")),
            "{what}: line {line}: {}",
            lines[line - 1]
        );
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

/// The server with the logging collector: its conninfo and its logs, stderr's first.
struct Collector {
    url: String,
    /// `(destination, path)` of the stderr, csvlog and jsonlog files.
    logs: [(&'static str, String); 3],
}

/// The server with the logging collector; without one, CI fails and a local run says it skips.
fn collector() -> Option<Collector> {
    let url = url_from(
        "PLANLINT_TEST_COLLECTOR_URL",
        "the server with the logging collector",
    )?;
    let path = |variable: &str| match std::env::var(variable) {
        Ok(path) if !path.is_empty() => path,
        _ => {
            panic!("PLANLINT_TEST_COLLECTOR_URL is set but {variable} is not: run scripts/test.sh")
        }
    };
    Some(Collector {
        url,
        logs: [
            ("stderr", path("PLANLINT_TEST_COLLECTOR_LOG")),
            ("csvlog", path("PLANLINT_TEST_COLLECTOR_CSVLOG")),
            ("jsonlog", path("PLANLINT_TEST_COLLECTOR_JSONLOG")),
        ],
    })
}

/// What the server wrote to `log` from `from` up to the end of the first line holding `marker`,
/// once it is there: a record after the workload's, so every entry before it is whole (the
/// collector writes each record whole, in the order it got them). Fails after 30 s.
fn appended_until(log: &str, from: u64, marker: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = appended(log, from);
        if let Some(at) = text.find(marker) {
            let end = text[at..]
                .find('\n')
                .map_or(text.len(), |newline| at + newline + 1);
            return text[..end].to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "{log}: no {marker} after 30 s; it holds:\n{text}"
        );
        thread::sleep(Duration::from_millis(50));
    }
}

/// A result without what tells the files apart (the file's name, the line an entry starts on).
fn without_place(result: &Value) -> Value {
    let mut result = result.clone();
    let object = result.as_object_mut().unwrap();
    object.remove("source");
    object.remove("log_line");
    result
}

#[test]
fn stderr_csvlog_and_jsonlog_of_one_workload_give_the_same_statements_and_times() {
    let Some(collector) = collector() else {
        return;
    };
    let mut client = Client::connect(&collector.url, NoTls).unwrap();
    let row = client
        .query_one(
            "SELECT current_setting('log_destination'), \
                    current_setting('shared_preload_libraries')",
            &[],
        )
        .unwrap();
    let (destinations, libraries): (String, String) = (row.get(0), row.get(1));
    assert_eq!(destinations, "stderr,csvlog,jsonlog");
    assert_eq!(libraries, "auto_explain");
    let dir = tempfile::tempdir().unwrap();
    for format in ["text", "json"] {
        let tag = format!("planlint-live-destinations-{format}-{}", std::process::id());
        let starts: Vec<u64> = collector
            .logs
            .iter()
            .map(|(_, log)| fs::metadata(log).unwrap().len())
            .collect();
        workload(&collector.url, format, &tag);
        // Logged after every entry of the workload, whose statements have all returned.
        let marker = format!("{tag}-end");
        client
            .batch_execute(&format!("DO $$ BEGIN RAISE LOG '{marker}'; END $$"))
            .unwrap();
        let mut reports = Vec::new();
        for ((destination, log), start) in collector.logs.iter().zip(starts) {
            let text = appended_until(log, start, &marker);
            let extension = Path::new(log).extension().unwrap();
            let slice = dir
                .path()
                .join(format!("{format}-{destination}"))
                .with_extension(extension);
            fs::write(&slice, &text).unwrap();
            let report = analyze_json(&slice, &format!("{format} {destination}"));
            let results = report["results"].as_array().unwrap();
            // Only the workload runs on this server: its two statements, the scan of every
            // partition first.
            assert_eq!(results.len(), 2, "{format} {destination}: {report:#}");
            let (top, pruned) = (&results[0], &results[1]);
            let query = top["query"].as_str().unwrap();
            assert!(
                query.contains(&tag) && query.ends_with("customer_id = 5"),
                "{format} {destination}: {top:#}"
            );
            assert_eq!(top["calls"], UNPRUNED_CALLS, "{format} {destination}");
            assert_eq!(
                top["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|finding| finding["rule"] == "unpruned-partitions")
                    .count(),
                1,
                "{format} {destination}: {top:#}"
            );
            let query = pruned["query"].as_str().unwrap();
            assert!(
                query.contains(&tag) && query.ends_with("order_id = 7"),
                "{format} {destination}: {pruned:#}"
            );
            assert_eq!(pruned["calls"], PRUNED_CALLS, "{format} {destination}");
            let lines: Vec<&str> = text.lines().collect();
            for result in results {
                let line = usize::try_from(result["log_line"].as_u64().unwrap()).unwrap();
                let duration = result["duration_ms"].as_f64().unwrap();
                assert!(
                    lines[line - 1].contains(&format!("duration: {duration:.3} ms  plan:")),
                    "{format} {destination}: line {line}: {}",
                    lines[line - 1]
                );
            }
            reports.push((destination, report));
        }
        // One execution, one message, written three ways: the same statements, counts,
        // durations and findings from each file.
        let (_, stderr) = &reports[0];
        for (destination, report) in &reports[1..] {
            for (ours, theirs) in report["results"]
                .as_array()
                .unwrap()
                .iter()
                .zip(stderr["results"].as_array().unwrap())
            {
                assert_eq!(
                    without_place(ours),
                    without_place(theirs),
                    "{format}: {destination} and stderr"
                );
            }
        }
    }
}
