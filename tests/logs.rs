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

/// The text report of `planlint analyze` on the captured log `name` with the catalog at
/// `catalog`, its elapsed time replaced by `[elapsed]`, and its summary line before that.
fn text_report(catalog: &str, name: &str) -> (String, String) {
    let output = planlint()
        .args([
            "analyze",
            "--color",
            "never",
            "--catalog",
            catalog,
            &path(name),
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    let (report, elapsed) = text.trim_end().rsplit_once(", in ").unwrap();
    assert!(elapsed.ends_with(" s"), "{text}");
    (format!("{report}, in [elapsed]\n"), report.to_owned())
}

#[test]
fn the_text_report_of_a_log_is_a_reviewed_snapshot() {
    let (snapshot, report) = text_report("tests/fixtures/catalog.json", "text-stderr.log");
    assert!(
        report.contains("the statements with findings take "),
        "{report}"
    );
    insta::assert_snapshot!("text_stderr_log", snapshot);
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

/// The logs scripts/capture-log-parameters.sh captured from PostgreSQL 18.4: pgbench 15 ran the
/// same statements with bind parameters, so auto_explain wrote `Query Parameters:` after each
/// statement (a "Query Parameters" member in its JSON format), except in `-none`, where
/// log_parameter_max_length = 0 left them out.
const PARAMETER_LOGS: [&str; 5] = [
    "pg18-params-text-stderr.log",
    "pg18-params-text-stderr-none.log",
    "pg18-params-text-stderr-generic.log",
    "pg18-params-text-csvlog-truncated.csv",
    "pg18-params-json-jsonlog.json",
];

/// The statements of the parameter logs, each run 8 times with other values.
const PARAMETER_STATEMENTS: [&str; 4] = [
    "SELECT * FROM orders WHERE customer_id = $1;",
    "SELECT * FROM orders WHERE order_id = $1;",
    "SELECT count(*) FROM customers WHERE region = $1;",
    "SELECT id, region FROM customers WHERE email = $1;",
];

/// What the analysis of a log says about its statements, by statement: the calls, and every
/// finding without its time (which differs from run to run).
fn analysis(report: &Value) -> Vec<(String, u64, Vec<Value>)> {
    let mut analysis: Vec<(String, u64, Vec<Value>)> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|result| {
            let findings = result["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|finding| {
                    let mut finding = finding.clone();
                    finding.as_object_mut().unwrap().remove("impact");
                    finding
                })
                .collect();
            (
                result["query"].as_str().unwrap().to_owned(),
                result["calls"].as_u64().unwrap(),
                findings,
            )
        })
        .collect();
    analysis.sort_by(|a, b| a.0.cmp(&b.0));
    analysis
}

#[test]
fn the_parameter_logs_hold_what_they_claim() {
    let read = |name: &str| fs::read_to_string(path(name)).unwrap();
    // A value whole, of two lines, its quote doubled; pruned from the plan under -none.
    let text = read("pg18-params-text-stderr.log");
    assert!(text.contains("\n\tQuery Parameters: $1 = 'it''s the eu\n\tand the uk'\n"));
    assert!(!read("pg18-params-text-stderr-none.log").contains("Query Parameters"));
    // Generic plans: the values are only in the parameters, one with a blank line and a line
    // that reads as a plan node.
    let generic = read("pg18-params-text-stderr-generic.log");
    assert!(generic.contains("$1 = 'it''s urgent\n\t\n\tSort the eu orders first'\n"));
    assert!(generic.contains("Filter: (region = $1)"));
    // Cut at 6 bytes.
    assert!(read("pg18-params-text-csvlog-truncated.csv")
        .contains("Query Parameters: $1 = 'user31...'"));
    assert!(read("pg18-params-json-jsonlog.json")
        .contains(r#"\"Query Parameters\": \"$1 = 'it''s the eu\\nand the uk'\""#));
}

#[test]
fn bind_parameters_are_read_past_and_their_executions_group() {
    for name in PARAMETER_LOGS {
        let file = path(name);
        let (report, stderr) = json_report(&file);
        // Every statement as logged, without its values, its 8 executions one group.
        let found = statements(&report);
        let mut queries: Vec<&str> = found.iter().map(|(query, _)| query.as_str()).collect();
        queries.sort_unstable();
        assert_eq!(queries, PARAMETER_STATEMENTS, "{name}: {stderr}");
        assert!(
            found.iter().all(|(_, calls)| *calls == 8),
            "{name}: {found:?}"
        );
        let top = &report["results"][0];
        assert_eq!(top["query"], PARAMETER_STATEMENTS[0], "{name}");
        assert_eq!(
            top["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|finding| finding["rule"] == "unpruned-partitions")
                .count(),
            1,
            "{name}: {top:#}"
        );
        let text = fs::read_to_string(&file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for result in report["results"].as_array().unwrap() {
            let line = result["log_line"].as_u64().unwrap() as usize;
            let duration = result["duration_ms"].as_f64().unwrap();
            assert!(
                lines[line - 1].contains(&format!("duration: {duration:.3} ms  plan:")),
                "{name}:{line}: {}",
                lines[line - 1]
            );
        }
        // The value that reads as a plan node stayed a value: one plan, under the statement.
        let region = report["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|result| result["query"] == PARAMETER_STATEMENTS[2])
            .unwrap();
        assert_eq!(
            region["findings"][0]["node_path"], "Aggregate > Seq Scan on customers",
            "{name}"
        );
    }
}

#[test]
fn a_log_with_parameters_is_analysed_as_the_same_log_without() {
    // The same statements with the same values (pgbench's --random-seed) and custom plans: the
    // parameters, whole or cut, change nothing but the time.
    let (none, _) = json_report(&path("pg18-params-text-stderr-none.log"));
    let expected = analysis(&none);
    assert_eq!(expected.len(), 4);
    for name in [
        "pg18-params-text-stderr.log",
        "pg18-params-text-csvlog-truncated.csv",
    ] {
        let (report, _) = json_report(&path(name));
        assert_eq!(analysis(&report), expected, "{name}");
    }
    // auto_explain's JSON format: the same findings at the same nodes. (Their messages quote
    // the two-line constant with its line break, where the text format cannot tell it from a
    // wrapped line, and joins it with a space.)
    let (json, _) = json_report(&path("pg18-params-json-jsonlog.json"));
    let outline = |analysis: Vec<(String, u64, Vec<Value>)>| -> Vec<(String, u64, Vec<String>)> {
        analysis
            .into_iter()
            .map(|(query, calls, findings)| {
                let at = findings
                    .iter()
                    .map(|finding| format!("{} at {}", finding["rule"], finding["node_path"]))
                    .collect();
                (query, calls, at)
            })
            .collect()
    };
    assert_eq!(outline(analysis(&json)), outline(expected));
}

#[test]
fn a_broken_plan_after_parameters_of_several_lines_is_one_line_at_its_place() {
    let text = fs::read_to_string(path("pg18-params-text-stderr-generic.log")).unwrap();
    let node = "  ->  Seq Scan on customers";
    let broken_at = text.lines().position(|line| line.contains(node)).unwrap() + 1;
    assert!(
        text.lines().nth(broken_at - 3) == Some("\tSort the eu orders first'"),
        "the entry's values end two lines above its node"
    );
    let broken = text.replacen(node, &format!("{node} (cost="), 1);
    analyze_written("postgresql.log", &broken).code(2).stderr(
        predicate::str::is_match(format!(
            r"^planlint: [^\n]*postgresql\.log:{broken_at}:1: auto_explain entry: [^\n]+\n$"
        ))
        .unwrap(),
    );
}

#[test]
fn the_text_report_of_a_log_of_generic_plans_is_a_reviewed_snapshot() {
    let (snapshot, _) = text_report(
        "tests/fixtures/plans/18/catalog.json",
        "pg18-params-text-stderr-generic.log",
    );
    insta::assert_snapshot!("pg18_params_generic_log", snapshot);
}
