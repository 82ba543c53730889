//! `planlint analyze postgresql.log`: the server logs scripts/capture-logs.sh captured from a
//! real PostgreSQL 15 with auto_explain, in every destination and format.

use std::fs;

use predicates::prelude::*;
use serde_json::Value;

mod common;
use common::planlint;

/// Every captured log: auto_explain's text and JSON formats, written to stderr (two
/// `log_line_prefix` styles), csvlog and jsonlog, with and without ANALYZE.
const LOGS: [&str; 7] = [
    "text-stderr.log",
    "json-stderr.log",
    "text-stderr-noanalyze.log",
    "text-csvlog.csv",
    "json-csvlog.csv",
    "text-jsonlog.json",
    "json-jsonlog.json",
];

/// The statement that scans every partition of orders: 8 executions in every log.
const UNPRUNED: &str = "SELECT * FROM orders WHERE customer_id = 11;";

fn path(name: &str) -> String {
    format!("tests/fixtures/logs/{name}")
}

fn json_report(file: &str) -> (Value, String) {
    let output = planlint()
        .args(["analyze", "--format", "json", file])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1), "findings: exit code 1");
    let report = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    (report, String::from_utf8(output.stderr).unwrap())
}

/// `(query, calls)` of every result, in report order.
fn statements(report: &Value) -> Vec<(String, u64)> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|result| {
            (
                result["query"].as_str().unwrap().to_owned(),
                result["calls"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn every_destination_and_format_finds_the_same_statements_with_their_times() {
    let (first, _) = json_report(&path(LOGS[0]));
    let mut expected = statements(&first);
    expected.sort();
    assert_eq!(expected.len(), 5, "{expected:?}");
    for name in LOGS {
        let file = path(name);
        let (report, _) = json_report(&file);
        let mut found = statements(&report);
        found.sort();
        assert_eq!(found, expected, "{name}");
        let text = fs::read_to_string(&file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for result in report["results"].as_array().unwrap() {
            // The line named is where the entry starts, with the duration reported.
            let line = result["log_line"].as_u64().unwrap() as usize;
            let duration = result["duration_ms"].as_f64().unwrap();
            let logged = lines[line - 1];
            assert!(
                logged.contains(&format!("duration: {duration:.3} ms  plan:")),
                "{name}:{line}: {logged}"
            );
            assert!(result["total_time_ms"].as_f64().unwrap() >= duration);
            assert!(result["max_time_ms"].as_f64().unwrap() >= duration);
        }
        // The statement that scans every partition dominates, and comes first.
        let top = &report["results"][0];
        assert_eq!(top["query"], UNPRUNED, "{name}");
        assert_eq!(top["calls"], 8, "{name}");
        assert!(top["share"].as_f64().unwrap() > 0.3, "{name}");
        let rules: Vec<&str> = top["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|finding| finding["rule"].as_str().unwrap())
            .collect();
        assert!(rules.contains(&"unpruned-partitions"), "{name}: {rules:?}");
        let totals: Vec<f64> = report["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|result| result["total_time_ms"].as_f64().unwrap())
            .collect();
        assert!(
            totals.windows(2).all(|pair| pair[0] >= pair[1]),
            "{name}: worst first"
        );
        // The statements with findings take most of the time, not all: pg_sleep has none.
        let with_findings = report["summary"]["time_with_findings"].as_f64().unwrap();
        assert!(
            with_findings > 0.5 && with_findings < 1.0,
            "{name}: {with_findings}"
        );
    }
}

#[test]
fn sessions_interleave_and_their_entries_still_group() {
    let file = path("text-stderr.log");
    let text = fs::read_to_string(&file).unwrap();
    // The fixture holds what it claims: the two sessions' entries alternate in runs.
    let pids: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("plan:"))
        .filter_map(|line| line.split(['[', ']']).nth(1))
        .collect();
    let runs = pids.windows(2).filter(|pair| pair[0] != pair[1]).count() + 1;
    assert!(runs >= 3, "the sessions do not interleave: {pids:?}");
    let (report, _) = json_report(&file);
    let found = statements(&report);
    assert!(found.contains(&(UNPRUNED.to_owned(), 8)), "{found:?}");
    assert!(
        found.contains(&("SELECT * FROM orders WHERE order_id = 1007;".to_owned(), 3)),
        "{found:?}"
    );
    // pg_sleep ran in both sessions: 8 + 3 executions, one group.
    assert!(
        found.contains(&("SELECT pg_sleep(0.01);".to_owned(), 11)),
        "{found:?}"
    );
}

#[test]
fn statements_logged_without_a_plan_are_counted() {
    // log_min_duration_statement logged every statement; SET and VACUUM had no plan.
    for name in ["text-stderr.log", "text-jsonlog.json"] {
        let (_, stderr) = json_report(&path(name));
        assert!(
            stderr.contains("4 executions of 2 statements logged without a plan"),
            "{name}: {stderr}"
        );
    }
    let (_, stderr) = json_report(&path("json-stderr.log"));
    assert!(!stderr.contains("without a plan"), "{stderr}");
}

#[test]
fn the_text_report_of_a_log_is_a_reviewed_snapshot() {
    let output = planlint()
        .args([
            "analyze",
            "--color",
            "never",
            "--catalog",
            "tests/fixtures/catalog.json",
            &path("text-stderr.log"),
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    let (report, elapsed) = text.trim_end().rsplit_once(", in ").unwrap();
    assert!(elapsed.ends_with(" s"), "{text}");
    assert!(
        report.contains("the statements with findings take "),
        "{report}"
    );
    insta::assert_snapshot!("text_stderr_log", format!("{report}, in [elapsed]\n"));
}

/// Writes `text` to a temporary file named `name` and runs `planlint analyze` on it.
fn analyze_written(name: &str, text: &str) -> assert_cmd::assert::Assert {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(name);
    fs::write(&file, text).unwrap();
    let assert = planlint().arg("analyze").arg(&file).assert();
    drop(dir);
    assert
}

#[test]
fn a_broken_plan_in_a_log_is_one_line_at_its_place() {
    let text = fs::read_to_string(path("text-stderr.log")).unwrap();
    let broken_at = text
        .lines()
        .position(|line| line.contains("->  Seq Scan on orders_p3"))
        .unwrap()
        + 1;
    let broken = text.replacen(
        "->  Seq Scan on orders_p3",
        "->  Seq Scan on orders_p3 (cost=",
        1,
    );
    analyze_written("postgresql.log", &broken).code(2).stderr(
        predicate::str::is_match(format!(
            r"^planlint: [^\n]*postgresql\.log:{broken_at}:1: auto_explain entry: [^\n]+\n$"
        ))
        .unwrap(),
    );
}

#[test]
fn a_cut_csvlog_or_jsonlog_is_an_error_at_its_last_record() {
    let csv = fs::read_to_string(path("text-csvlog.csv")).unwrap();
    let cut = &csv[..csv.find("Filter: (customer_id").unwrap()];
    let lines: Vec<&str> = cut.lines().collect();
    let last_record = lines
        .iter()
        .rposition(|line| line.contains("plan:"))
        .unwrap()
        + 1;
    analyze_written("postgresql.csv", cut)
        .code(2)
        .stderr(predicate::str::contains(format!(
            "postgresql.csv:{last_record}:1: csvlog record ends inside a quoted field"
        )));
    let json = fs::read_to_string(path("text-jsonlog.json")).unwrap();
    let lines: Vec<&str> = json.lines().collect();
    let at = lines
        .iter()
        .position(|line| line.contains("plan:"))
        .unwrap();
    let mut cut: Vec<String> = lines.iter().map(|line| (*line).to_owned()).collect();
    let half = cut[at].len() / 2;
    cut[at].truncate(half);
    analyze_written("postgresql.json", &cut.join("\n"))
        .code(2)
        .stderr(predicate::str::contains(format!(
            "postgresql.json:{}:1: not a jsonlog record: ",
            at + 1
        )));
}

#[test]
fn a_server_log_without_entries_says_what_to_set() {
    let text = fs::read_to_string(path("text-stderr.log")).unwrap();
    let quiet: String = text
        .lines()
        .filter(|line| line.contains("received SIGHUP"))
        .map(|line| format!("{line}\n"))
        .collect();
    assert!(!quiet.is_empty());
    analyze_written("quiet.log", &quiet)
        .code(2)
        .stderr(predicate::str::contains(
            "a server log without any auto_explain entry",
        ));
}

#[test]
fn a_log_on_stdin_is_read_as_a_log() {
    let text = fs::read(path("json-jsonlog.json")).unwrap();
    let output = planlint()
        .args(["analyze", "--format", "json", "-"])
        .write_stdin(text)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["results"][0]["source"], "<stdin>");
    assert_eq!(report["results"][0]["query"], UNPRUNED);
    assert_eq!(report["results"].as_array().unwrap().len(), 5);
}

#[test]
fn reading_a_log_shows_its_progress_on_a_terminal_and_never_in_a_pipe() {
    let log = "tests/fixtures/logs/text-stderr.log";
    let binary = assert_cmd::cargo::cargo_bin("planlint");
    let command = format!(
        "'{}' analyze --progress always --color never {log}",
        binary.display()
    );
    // script(1) runs it on a pseudo-terminal; the bar goes by bytes read of the file's size.
    let output = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .output()
        .expect("script(1) from util-linux runs commands on a pseudo-terminal");
    let screen = String::from_utf8_lossy(&output.stdout);
    let size = fs::metadata(log).unwrap().len();
    let shown = format!(
        "{:.2} KiB/{:.2} KiB",
        size as f64 / 1024.0,
        size as f64 / 1024.0
    );
    assert!(screen.contains(&shown), "{shown} in: {screen}");
    assert!(screen.contains(log), "{screen}");
    planlint()
        .args(["analyze", "--progress", "always", log])
        .assert()
        .stderr(predicate::str::contains("KiB").not());
}
