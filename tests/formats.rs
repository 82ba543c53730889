//! The SARIF and GitHub Actions output formats, as code scanning and the Actions runner read them.

use std::fs;

use serde_json::Value;

mod common;
use common::planlint;

const CATALOG: &str = "examples/catalog.json";
const UNPRUNED: &str = "examples/orders-by-customer.json";
const PRUNED: &str = "examples/orders-by-id.json";

/// `planlint analyze --format sarif ARGS`: the log and the exit code.
fn sarif(args: &[&str]) -> (Value, i32) {
    let output = planlint()
        .args(["analyze", "--format", "sarif"])
        .args(args)
        .output()
        .expect("runs");
    let log: Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    (log, output.status.code().expect("exit code"))
}

/// stdout and the exit code of `planlint ARGS` with `env` set.
fn run(args: &[&str], env: &[(&str, &str)]) -> (String, i32) {
    let mut command = planlint();
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.args(args).output().expect("runs");
    (
        String::from_utf8(output.stdout).expect("UTF-8"),
        output.status.code().expect("exit code"),
    )
}

fn result_for<'a>(log: &'a Value, rule: &str) -> &'a Value {
    log["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|result| result["ruleId"] == rule)
        .unwrap_or_else(|| panic!("no {rule} result in {log:#}"))
}

#[test]
fn sarif_is_a_2_1_0_log_listing_every_rule_with_its_documentation() {
    let (log, code) = sarif(&["--catalog", CATALOG, UNPRUNED, PRUNED]);
    assert_eq!(code, 1);
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(
        log["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    let runs = log["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1);
    let driver = &runs[0]["tool"]["driver"];
    assert_eq!(driver["name"], "planlint");
    assert_eq!(driver["semanticVersion"], env!("CARGO_PKG_VERSION"));
    let information_uri = driver["informationUri"].as_str().expect("informationUri");
    assert!(information_uri.starts_with("https://"));

    let rules = driver["rules"].as_array().expect("rules");
    let expected = [
        (
            "PL001",
            "unpruned-partitions",
            "UnprunedPartitions",
            "warning",
        ),
        ("PL002", "seq-scan", "SeqScan", "note"),
        ("PL003", "missing-index", "MissingIndex", "warning"),
        ("PL004", "never-true", "NeverTrue", "warning"),
    ];
    assert_eq!(rules.len(), expected.len());
    for (rule, (id, kebab, name, level)) in rules.iter().zip(expected) {
        assert_eq!(rule["id"], id);
        assert_eq!(rule["name"], name);
        assert_eq!(rule["defaultConfiguration"]["level"], level);
        assert_eq!(
            rule["helpUri"],
            format!("{information_uri}/blob/main/rules/{kebab}.md")
        );
        let short = rule["shortDescription"]["text"].as_str().expect("short");
        assert!(short.ends_with('.'), "{short}");
        assert!(!rule["fullDescription"]["text"]
            .as_str()
            .expect("full")
            .is_empty());
        let markdown = rule["help"]["markdown"].as_str().expect("help.markdown");
        assert!(markdown.contains("## What it flags"), "{markdown}");
        assert_eq!(rule["help"]["text"], rule["help"]["markdown"]);
    }

    let invocation = &runs[0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], true);
    assert_eq!(
        invocation["toolExecutionNotifications"],
        serde_json::json!([])
    );
}

#[test]
fn sarif_results_point_into_the_plan_files_at_the_findings_levels() {
    let (log, _) = sarif(&["--catalog", CATALOG, UNPRUNED, PRUNED]);
    let results = log["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 3, "the pruned plan has no finding");
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    // The index (the fix) outranks the sequential scan (the symptom).
    for (rule, level) in [
        ("PL001", "warning"),
        ("PL002", "warning"),
        ("PL003", "error"),
    ] {
        let result = result_for(&log, rule);
        assert_eq!(result["level"], level, "{rule}");
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], rule);
        let text = result["message"]["text"].as_str().expect("message");
        assert!(text.contains(" Fix: ") && text.ends_with('.'), "{text}");
        let physical = &result["locations"][0]["physicalLocation"];
        assert_eq!(physical["artifactLocation"]["uri"], UNPRUNED);
        assert_eq!(physical["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert_eq!(physical["region"]["startLine"], 1);
        assert_eq!(physical["region"]["startColumn"], 1);
        assert_eq!(
            result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
            "Gather > Parallel Append"
        );
        assert!(result["partialFingerprints"]["planlintFindingHash/v1"].is_string());
    }
    assert!(result_for(&log, "PL001")["message"]["text"]
        .as_str()
        .expect("message")
        .starts_with("scanned 8 of 8 partitions of orders (RANGE on order_id)"));
    let fix_sql = result_for(&log, "PL003")["properties"]["fixSql"]
        .as_str()
        .expect("fix SQL in the properties");
    assert!(fix_sql.starts_with("CREATE INDEX orders_customer_id_idx ON ONLY public.orders"));
    assert!(result_for(&log, "PL003").get("fixes").is_none());

    let fingerprints: Vec<&Value> = results
        .iter()
        .map(|result| &result["partialFingerprints"]["planlintFindingHash/v1"])
        .collect();
    assert!(fingerprints[0] != fingerprints[1] && fingerprints[1] != fingerprints[2]);
    let (again, _) = sarif(&["--catalog", CATALOG, UNPRUNED]);
    for rule in ["PL001", "PL002", "PL003"] {
        assert_eq!(
            result_for(&again, rule)["partialFingerprints"],
            result_for(&log, rule)["partialFingerprints"],
            "fingerprints are stable across runs"
        );
    }
}

#[test]
fn sarif_uses_a_logical_location_for_stdin_and_note_for_info() {
    let output = planlint()
        .args(["analyze", "--format", "sarif", "-"])
        .write_stdin(fs::read(UNPRUNED).expect("example"))
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let log: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let result = result_for(&log, "PL001");
    assert_eq!(result["level"], "note", "without a catalog PL001 is info");
    let location = &result["locations"][0];
    assert!(location.get("physicalLocation").is_none(), "{location:#}");
    assert_eq!(
        location["logicalLocations"][0]["fullyQualifiedName"],
        "Gather > Parallel Append"
    );
    assert_eq!(result["properties"]["source"], "<stdin>");
}

#[test]
fn sarif_reports_unreadable_inputs_as_failed_execution() {
    let dir = tempfile::tempdir().expect("temp dir");
    let broken = dir.path().join("broken.json");
    fs::write(&broken, "{\n  \"Plan\": ").expect("write");
    let broken = broken.to_str().expect("UTF-8 path");
    let (log, code) = sarif(&["--catalog", CATALOG, UNPRUNED, broken]);
    assert_eq!(code, 2);
    let invocation = &log["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notifications = invocation["toolExecutionNotifications"]
        .as_array()
        .expect("notifications");
    assert_eq!(notifications.len(), 1);
    assert_eq!(notifications[0]["level"], "error");
    let text = notifications[0]["message"]["text"].as_str().expect("text");
    assert!(text.starts_with(broken), "{text}");
    assert_eq!(notifications[0]["properties"]["source"], broken);
    assert_eq!(
        log["runs"][0]["results"].as_array().expect("results").len(),
        3,
        "the readable input is still reported"
    );
}

#[test]
fn sarif_keeps_the_exit_codes() {
    assert_eq!(sarif(&["--catalog", CATALOG, PRUNED]).1, 0);
    assert_eq!(sarif(&["--catalog", CATALOG, UNPRUNED]).1, 1);
    assert_eq!(
        sarif(&["--catalog", CATALOG, "--fail-on", "never", UNPRUNED]).1,
        0
    );
    assert_eq!(
        sarif(&["--catalog", CATALOG, "--fail-on", "error", UNPRUNED]).1,
        1
    );
    assert_eq!(sarif(&["--catalog", CATALOG, "no-such-plan.json"]).1, 2);
    let (clean, _) = sarif(&["--catalog", CATALOG, PRUNED]);
    assert_eq!(clean["runs"][0]["results"], serde_json::json!([]));
}

#[test]
fn github_prints_one_workflow_command_per_finding_then_the_summary() {
    let (out, code) = run(
        &[
            "analyze",
            "--format",
            "github",
            "--catalog",
            CATALOG,
            UNPRUNED,
        ],
        &[],
    );
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    let at = format!("file={UNPRUNED},line=1,col=1");
    assert!(
        lines[0].starts_with(&format!("::error {at},title=PL003 missing-index::")),
        "{}",
        lines[0]
    );
    assert!(lines[1].starts_with(&format!(
        "::warning {at},title=PL001 unpruned-partitions::scanned 8 of 8 partitions of orders"
    )));
    assert!(lines[2].starts_with(&format!("::warning {at},title=PL002 seq-scan::")));
    // The message's `%` and newlines are escaped, so each command stays on one line.
    assert!(lines[0].contains(">99.9%25 of the rows read from orders"));
    assert!(lines[0].contains("%0Aat Gather > Parallel Append%0Afix: "));
    assert!(!lines[0].contains("99.9% "));
    assert!(
        lines[3].starts_with("1 file, 1 plan, 3 findings (1 error, 2 warnings, 0 info), in ")
            && lines[3].ends_with(" s"),
        "{}",
        lines[3]
    );
}

#[test]
fn github_escapes_file_properties_and_uses_notice_for_info() {
    let dir = tempfile::tempdir().expect("temp dir");
    let plan = dir.path().join("plan,v1:50%.json");
    fs::copy(UNPRUNED, &plan).expect("copy");
    let path = plan.to_str().expect("UTF-8 path");
    let (out, code) = run(&["analyze", "--format", "github", path], &[]);
    assert_eq!(code, 1);
    let escaped = path
        .replace('%', "%25")
        .replace(':', "%3A")
        .replace(',', "%2C");
    assert!(escaped.contains("plan%2Cv1%3A50%25.json"));
    let notice = out
        .lines()
        .find(|line| line.starts_with("::notice "))
        .unwrap_or_else(|| panic!("no ::notice line in {out}"));
    assert!(
        notice.starts_with(&format!(
            "::notice file={escaped},line=1,col=1,title=PL001 unpruned-partitions::"
        )),
        "{notice}"
    );
}

#[test]
fn github_omits_the_file_without_one_and_annotates_unreadable_inputs() {
    let output = planlint()
        .args(["analyze", "--format", "github", "-", "no-such-plan.json"])
        .write_stdin(fs::read(UNPRUNED).expect("example"))
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let out = String::from_utf8(output.stdout).expect("UTF-8");
    let findings: Vec<&str> = out
        .lines()
        .filter(|line| line.contains("title=PL"))
        .collect();
    assert_eq!(findings.len(), 3, "{out}");
    for line in &findings {
        assert!(line.starts_with("::") && !line.contains("file="), "{line}");
        assert!(line.contains(" in <stdin>"), "{line}");
    }
    assert!(out.contains("::error title=planlint input error::no-such-plan.json: "));
    assert!(out
        .lines()
        .last()
        .expect("summary")
        .contains(", 1 input could not be read, in "));
}

#[test]
fn github_is_the_default_under_github_actions_only() {
    let args = ["analyze", "--catalog", CATALOG, UNPRUNED];
    let (actions, code) = run(&args, &[("GITHUB_ACTIONS", "true")]);
    assert_eq!(code, 1);
    assert!(actions.starts_with("::error file="), "{actions}");

    let (explicit, code) = run(
        &[
            "analyze",
            "--format",
            "text",
            "--catalog",
            CATALOG,
            UNPRUNED,
        ],
        &[("GITHUB_ACTIONS", "true")],
    );
    assert_eq!(code, 1);
    assert!(!explicit.contains("::error"), "{explicit}");
    assert!(
        explicit.contains("error[PL003] missing-index"),
        "{explicit}"
    );

    for env in [&[][..], &[("GITHUB_ACTIONS", "false")][..]] {
        let (local, _) = run(&args, env);
        assert!(!local.contains("::error"), "{local}");
        assert!(local.contains("error[PL003] missing-index"), "{local}");
    }
}

#[test]
fn github_keeps_the_exit_codes() {
    let github = |extra: &[&str]| {
        let mut args = vec!["analyze", "--format", "github", "--catalog", CATALOG];
        args.extend_from_slice(extra);
        run(&args, &[]).1
    };
    assert_eq!(github(&[PRUNED]), 0);
    assert_eq!(github(&[UNPRUNED]), 1);
    assert_eq!(github(&["--fail-on", "never", UNPRUNED]), 0);
    assert_eq!(github(&["no-such-plan.json", PRUNED]), 2);
    let (clean, _) = run(
        &[
            "analyze",
            "--format",
            "github",
            "--catalog",
            CATALOG,
            PRUNED,
        ],
        &[],
    );
    assert!(
        clean.starts_with("1 file, 1 plan, 0 findings (0 errors, 0 warnings, 0 info), in "),
        "{clean}"
    );
}

/// Checks a GitLab Code Quality report against the fields GitLab documents for it: an array of
/// issues, each with a `description`, `check_name`, unique `fingerprint`, `severity` (info,
/// minor, major, critical, blocker), and `location` with a `path` and `lines.begin` from 1.
fn assert_code_quality_report(report: &Value) -> Vec<&Value> {
    let issues: Vec<&Value> = report.as_array().expect("an array").iter().collect();
    let mut fingerprints = std::collections::BTreeSet::new();
    for issue in &issues {
        let object = issue.as_object().expect("an object");
        for key in object.keys() {
            assert!(
                [
                    "description",
                    "check_name",
                    "fingerprint",
                    "severity",
                    "location"
                ]
                .contains(&key.as_str()),
                "undocumented key {key}"
            );
        }
        assert!(issue["description"].as_str().is_some_and(|d| !d.is_empty()));
        assert!(issue["check_name"].as_str().is_some_and(|c| !c.is_empty()));
        let fingerprint = issue["fingerprint"].as_str().unwrap();
        assert!(
            fingerprints.insert(fingerprint.to_owned()),
            "{fingerprint} twice"
        );
        assert!(["info", "minor", "major", "critical", "blocker"]
            .contains(&issue["severity"].as_str().unwrap()));
        assert!(issue["location"]["path"]
            .as_str()
            .is_some_and(|p| !p.is_empty()));
        assert!(issue["location"]["lines"]["begin"]
            .as_u64()
            .is_some_and(|line| line >= 1));
    }
    issues
}

#[test]
fn gitlab_writes_a_code_quality_report_with_stable_fingerprints() {
    let args = [
        "analyze",
        "--format",
        "gitlab",
        "--catalog",
        CATALOG,
        UNPRUNED,
        "examples/orders-by-customer.txt",
        PRUNED,
    ];
    let (first, code) = run(&args, &[]);
    assert_eq!(code, 1);
    let report: Value = serde_json::from_str(&first).unwrap();
    let issues = assert_code_quality_report(&report);
    assert_eq!(issues.len(), 6, "{first}");
    let missing = issues
        .iter()
        .find(|issue| issue["check_name"] == "PL003 missing-index")
        .unwrap();
    assert_eq!(missing["severity"], "critical");
    assert_eq!(missing["location"]["path"], UNPRUNED);
    assert!(missing["description"]
        .as_str()
        .unwrap()
        .contains("Fix: Create an index on orders (customer_id)"));
    // The same run gives the same fingerprints: GitLab tells new findings from old by them.
    let (second, _) = run(&args, &[]);
    assert_eq!(first, second);
    // An input that cannot be read is an issue too, and the exit code says so.
    let (text, code) = run(&["analyze", "--format", "gitlab", "no/such.json"], &[]);
    assert_eq!(code, 2);
    let report: Value = serde_json::from_str(&text).unwrap();
    let issues = assert_code_quality_report(&report);
    assert_eq!(issues[0]["severity"], "blocker");
    assert_eq!(issues[0]["location"]["path"], "no/such.json");
}

#[test]
fn markdown_writes_a_summary_table_with_the_fixes_folded() {
    let (text, code) = run(
        &[
            "analyze",
            "--format",
            "markdown",
            "--catalog",
            CATALOG,
            UNPRUNED,
            PRUNED,
            "no/such.json",
        ],
        &[],
    );
    assert_eq!(code, 2);
    assert!(
        text.starts_with("## planlint: 3 findings in 2 plans\n\n1 error, 2 warnings, 0 info; 1 input could not be read.\n"),
        "{text}"
    );
    assert!(text.contains("| severity | rule | where | finding |\n|---|---|---|---|\n"));
    let rows = text.lines().filter(|line| line.starts_with("| ")).count();
    assert_eq!(rows, 4, "a header and three findings: {text}");
    assert!(text.contains(&format!(
        "| **error** | PL003 missing-index | `{UNPRUNED}:1` · Gather > Parallel Append |"
    )));
    assert!(text.contains("<details><summary>Fixes</summary>"));
    assert!(text.contains(
        "```sql\nCREATE INDEX orders_customer_id_idx ON ONLY public.orders (customer_id);"
    ));
    assert!(text
        .contains("Inputs that could not be read:\n\n- `no/such.json: cannot read: no such file`"));
}
