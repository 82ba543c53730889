//! The `planlint` binary as users run it: examples, stdin pastes, formats, exit codes, bad input.

use std::fs;
use std::io::Write;

use predicates::prelude::*;
use serde_json::Value;

mod common;
use common::{finding_of, planlint};

fn json_report(args: &[&str]) -> (Value, i32) {
    let output = planlint()
        .args(["analyze", "--format", "json"])
        .args(args)
        .output()
        .expect("runs");
    let report: Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    (report, output.status.code().expect("exit code"))
}

#[test]
fn the_readme_example_finds_all_partitions_scanned_and_the_partitioned_index_ddl() {
    planlint()
        .args(["analyze", "--catalog", "examples/catalog.json", "examples/orders-by-customer.json"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "Parallel Append: 8 of 8 partitions of orders (RANGE on order_id), no pruning",
        ))
        .stdout(predicate::str::contains("scanned 8 of 8 partitions of orders (RANGE on order_id)"))
        .stdout(predicate::str::contains("CREATE INDEX orders_customer_id_idx ON ONLY public.orders (customer_id);"))
        .stdout(predicate::str::contains(
            "ALTER INDEX public.orders_customer_id_idx ATTACH PARTITION public.orders_p8_customer_id_idx;",
        ))
        .stdout(predicate::str::contains("\u{1b}[").not());
}

#[test]
fn the_pruned_counterpart_is_clean() {
    planlint()
        .args([
            "analyze",
            "--catalog",
            "examples/catalog.json",
            "examples/orders-by-id.json",
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "Append: 2 of 8 partitions of orders (RANGE on order_id), pruned at plan time",
        ))
        .stdout(predicate::str::contains("0 findings"));
}

#[test]
fn json_output_has_the_documented_shape() {
    let (report, code) = json_report(&[
        "--catalog",
        "examples/catalog.json",
        "examples/orders-by-customer.json",
    ]);
    assert_eq!(code, 1);
    assert_eq!(report["format_version"], 1);
    let result = &report["results"][0];
    assert_eq!(result["source"], "examples/orders-by-customer.json");
    assert_eq!(result["plan"], 1);
    let partitions = &result["partitions"][0];
    assert_eq!(partitions["parent"], "orders");
    assert_eq!(partitions["partitions_in_plan"], 8);
    assert_eq!(partitions["partitions_total"], 8);
    assert_eq!(partitions["removed_at_startup"], 0);
    assert_eq!(partitions["never_executed"], 0);
    assert_eq!(partitions["pruned_at"], serde_json::json!([]));
    assert_eq!(partitions["strategy"], "range");
    assert_eq!(partitions["key"], serde_json::json!(["order_id"]));
    let findings = result["findings"].as_array().expect("findings");
    for finding in findings {
        for key in [
            "rule",
            "code",
            "severity",
            "message",
            "suggestion",
            "fix_sql",
            "node_id",
            "node_path",
            "relation",
        ] {
            assert!(finding.get(key).is_some(), "finding lacks {key}: {finding}");
        }
    }
    let unpruned = findings
        .iter()
        .find(|f| f["rule"] == "unpruned-partitions")
        .expect("unpruned finding");
    assert_eq!(unpruned["code"], "PL001");
    assert_eq!(unpruned["severity"], "warning");
    assert_eq!(unpruned["node_path"], "Gather > Parallel Append");
    assert_eq!(unpruned["relation"], "orders");
    assert!(unpruned["fix_sql"].is_null());
    let index = findings
        .iter()
        .find(|f| f["rule"] == "missing-index")
        .expect("index finding");
    assert!(
        index["fix_sql"].as_str().unwrap().lines().count() == 17,
        "{}",
        index["fix_sql"]
    );
    assert_eq!(report["summary"]["plans"], 1);
    assert_eq!(report["summary"]["failed_inputs"], 0);
}

#[test]
fn json_reports_each_pruning_phase() {
    let cases = [
        (
            "orders_by_id_between_two_partitions.json",
            serde_json::json!(["plan"]),
            2,
            0,
            0,
        ),
        (
            "orders_generic_plan_startup_pruning.json",
            serde_json::json!(["startup"]),
            1,
            7,
            0,
        ),
        (
            "customers_orders_nested_loop_runtime_pruning.analyze.json",
            serde_json::json!(["runtime"]),
            8,
            0,
            7,
        ),
    ];
    for (plan, phases, in_plan, removed, never) in cases {
        let path = format!("tests/fixtures/plans/{plan}");
        let (report, _) = json_report(&["--catalog", "tests/fixtures/catalog.json", &path]);
        let scan = &report["results"][0]["partitions"][0];
        assert_eq!(scan["pruned_at"], phases, "{plan}");
        assert_eq!(scan["partitions_in_plan"], in_plan, "{plan}");
        assert_eq!(scan["partitions_total"], 8, "{plan}");
        assert_eq!(scan["removed_at_startup"], removed, "{plan}");
        assert_eq!(scan["never_executed"], never, "{plan}");
    }
}

#[test]
fn without_a_catalog_the_total_is_unknown_and_the_parent_is_inferred() {
    let (report, _) = json_report(&["examples/orders-by-customer.json"]);
    let scan = &report["results"][0]["partitions"][0];
    assert_eq!(scan["parent"], "orders");
    assert_eq!(scan["parent_source"], "alias-convention");
    assert!(scan["partitions_total"].is_null());
    let (report, _) = json_report(&["tests/fixtures/plans/union_all_customers_products.json"]);
    assert_eq!(
        report["results"][0]["partitions"],
        serde_json::json!([]),
        "UNION ALL is not partitions"
    );
}

#[test]
fn every_psql_paste_gives_the_same_findings_as_the_raw_json() {
    let (raw, _) = json_report(&["tests/fixtures/plans/orders_by_customer_all_partitions.json"]);
    for paste in [
        "aligned.txt",
        "unaligned.txt",
        "tuples_only.txt",
        "expanded.txt",
        "csv",
    ] {
        let text = fs::read(format!("tests/fixtures/paste/orders_by_customer.{paste}")).unwrap();
        let output = planlint()
            .args(["analyze", "--format", "json", "-"])
            .write_stdin(text)
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(
            report["results"][0]["findings"], raw["results"][0]["findings"],
            "{paste}"
        );
        assert_eq!(report["results"][0]["source"], "<stdin>");
    }
}

#[test]
fn the_text_report_says_how_to_get_unknown_partition_totals() {
    let note = "partition totals are unknown without a catalog snapshot";
    planlint()
        .args(["analyze", "examples/orders-by-id.json"])
        .assert()
        .stdout(predicate::str::contains(note));
    planlint()
        .args([
            "analyze",
            "--catalog",
            "examples/catalog.json",
            "examples/orders-by-id.json",
        ])
        .assert()
        .stdout(predicate::str::contains(note).not());
}

#[test]
fn the_catalog_snapshot_query_is_printed_for_psql() {
    let sql = fs::read_to_string("scripts/catalog-snapshot.sql").unwrap();
    planlint()
        .args(["catalog", "--sql"])
        .assert()
        .code(0)
        .stdout(sql);
    planlint()
        .arg("catalog")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--sql"));
}

#[test]
fn several_plans_in_one_file_are_each_reported() {
    let (report, _) = json_report(&["tests/fixtures/paste/two_plans.tuples_only.txt"]);
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[1]["plan"], 2);
}

#[test]
fn fail_on_sets_the_exit_code() {
    let example = "examples/orders-by-customer.json";
    let catalog = "examples/catalog.json";
    planlint()
        .args([
            "analyze",
            "--catalog",
            catalog,
            "--fail-on",
            "never",
            example,
        ])
        .assert()
        .code(0);
    planlint()
        .args([
            "analyze",
            "--catalog",
            catalog,
            "--fail-on",
            "error",
            example,
        ])
        .assert()
        .code(1);
    // The clean plan has infos at most: failing on info is the only way it fails.
    let clean = "tests/fixtures/plans/accounts_region_eq_pruned.json";
    planlint()
        .args(["analyze", "--catalog", catalog, clean])
        .assert()
        .code(0);
    planlint()
        .args(["analyze", "--catalog", catalog, "--fail-on", "info", clean])
        .assert()
        .code(1);
}

#[test]
fn thresholds_can_be_raised_and_bad_ones_are_errors() {
    let plan = "tests/fixtures/plans/customers_by_email_seq_scan.analyze.json";
    planlint()
        .args([
            "analyze",
            "--threshold",
            "seq-scan.min_rows=1000000",
            "--threshold",
            "missing-index.min_rows=1000000",
            plan,
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("0 findings"));
    planlint()
        .args(["analyze", "--threshold", "seq-scan.nope=1", plan])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "rule seq-scan has no threshold \"nope\"",
        ));
}

#[test]
fn colors_follow_the_flag_and_no_color() {
    let example = "examples/orders-by-customer.json";
    planlint()
        .args(["analyze", "--color", "always", example])
        .assert()
        .stdout(predicate::str::contains("\u{1b}["));
    planlint()
        .args(["analyze", "--color", "never", example])
        .assert()
        .stdout(predicate::str::contains("\u{1b}[").not());
    planlint()
        .env("NO_COLOR", "1")
        .args(["analyze", example])
        .assert()
        .stdout(predicate::str::contains("\u{1b}[").not());
}

#[test]
fn rules_are_listed_and_documented_from_the_binary() {
    planlint()
        .arg("rules")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("PL001").and(predicate::str::contains("missing-index")));
    let doc = fs::read_to_string("rules/seq-scan.md").unwrap();
    let body = doc.split("+++\n").nth(2).unwrap();
    planlint()
        .args(["rules", "seq-scan"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(body.trim()))
        .stdout(predicate::str::contains(
            "thresholds: error_discard_fraction=0.99",
        ));
    planlint()
        .args(["rules", "PL003"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("missing-index"));
    planlint()
        .args(["rules", "no-such-rule"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no rule named"));
}

/// Runs the binary on `bytes` as a file and checks the one-line error and exit code 2.
fn assert_bad_input(bytes: &[u8], expected: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("input.json");
    fs::write(&path, bytes).unwrap();
    let output = planlint()
        .args(["analyze", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "exit code for {expected}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.contains(path.to_str().unwrap()),
        "names the file: {stderr}"
    );
    assert!(
        stderr.contains(expected),
        "expected {expected:?} in {stderr}"
    );
}

#[test]
fn bad_input_gets_one_line_naming_the_file_and_exit_code_2() {
    assert_bad_input(b"this is not json", "input.json:1:1: no plan found");
    // Malformed text-format plans: the line and column of what cannot be read, and what was
    // expected there.
    assert_bad_input(
        b"Seq Scan on t  (cost=0.00..x rows=1 width=4)\n",
        "input.json:1:16: invalid text-format plan: expected `(cost=STARTUP..TOTAL rows=ROWS width=WIDTH)`",
    );
    assert_bad_input(
        b"Seq Scan on t  (cost=0.00..1.00 rows=1 width=4)\n  Rows Removed by Filter: many\n",
        "input.json:2:27: invalid text-format plan: the value of `Rows Removed by Filter` is not what EXPLAIN prints there",
    );
    // Found by the fuzzer: a line after a subplan header that reads as nothing panicked.
    assert_bad_input(
        b"Seq Scan on t  (cost=0.00..1.00 rows=1 width=4)\n  SubPlan 1\n  what is this\n",
        "input.json:3:3: invalid text-format plan: expected a plan node",
    );
    assert_bad_input(
        b"- Plan:\n    Node Type: [\n",
        "input.json:2:17: invalid YAML",
    );
    assert_bad_input(
        b"<explain><Query><Plan><Node-Type>Result</Node-Type></Query></explain>",
        "input.json:1:52: invalid XML",
    );
    assert_bad_input(
        b"[{\"Plan\": {\"Node Type\": \"Seq Scan\",\n  \"Plans\": [",
        "input.json:2:12: truncated JSON",
    );
    assert_bad_input(b"{\"rows\": [1, 2, 3]}", "not a plan");
    assert_bad_input(b"", "empty input");
    assert_bad_input(b"  \n\t\n", "empty input");
    assert_bad_input(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "NUL byte");
    assert_bad_input(&b"[".repeat(100_000), "not a plan");
}

#[test]
fn a_plan_nested_100000_levels_is_analysed_without_overflowing() {
    let depth = 100_000;
    let mut text = String::from("{\"Plan\": ");
    text.push_str(&"{\"Node Type\": \"Result\", \"Plans\": [".repeat(depth));
    text.push_str("{\"Node Type\": \"Result\"}");
    text.push_str(&"]}".repeat(depth));
    text.push('}');
    let (report, code) = {
        let output = planlint()
            .args(["analyze", "--format", "json", "-"])
            .write_stdin(text.clone())
            .output()
            .unwrap();
        (
            serde_json::from_slice::<Value>(&output.stdout).unwrap(),
            output.status.code().unwrap(),
        )
    };
    assert_eq!(code, 0);
    assert_eq!(report["summary"]["plans"], 1);
    planlint()
        .args(["analyze", "-"])
        .write_stdin(text)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("nodes deeper than"));
}

#[test]
fn a_huge_file_is_refused_by_its_size_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.json");
    let file = fs::File::create(&path).unwrap();
    file.set_len(1 << 30).unwrap();
    planlint()
        .args(["analyze", path.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("1.0 GiB, over the 512 MiB limit"));
}

#[test]
fn missing_files_and_unreadable_plans_are_errors_but_good_inputs_are_still_reported() {
    // A directory is walked for plan files (.json, .txt...): one good, one that is no plan.
    let dir = tempfile::tempdir().unwrap();
    fs::copy(
        "examples/orders-by-customer.json",
        dir.path().join("good.json"),
    )
    .unwrap();
    fs::write(dir.path().join("notes.json"), "{\"rows\": 3}").unwrap();
    fs::write(dir.path().join("readme.md"), "not looked at").unwrap();
    let output = planlint()
        .args(["analyze", "--format", "json", "no/such/plan.json"])
        .arg(dir.path())
        .arg("examples/orders-by-id.json")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["summary"]["plans"], 2);
    assert_eq!(report["summary"]["failed_inputs"], 2);
    assert_eq!(report["errors"][0]["kind"], "io");
    assert_eq!(report["errors"][1]["kind"], "not-a-plan");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 2, "{stderr}");
    assert!(stderr.contains("no/such/plan.json"));
}

#[test]
fn globs_expand_and_planlint_toml_sets_excludes_rules_catalog_and_the_fail_level() {
    let dir = tempfile::tempdir().unwrap();
    let plans = dir.path().join("plans");
    fs::create_dir_all(plans.join("old")).unwrap();
    fs::copy("examples/orders-by-customer.json", plans.join("a.json")).unwrap();
    fs::copy("examples/orders-by-customer.json", plans.join("old/b.json")).unwrap();
    fs::copy("examples/catalog.json", dir.path().join("catalog.json")).unwrap();
    fs::write(
        dir.path().join("planlint.toml"),
        "fail_on = \"error\"\nexclude = [\"plans/old/**\"]\ncatalog = \"catalog.json\"\n\
         [rules]\nignore = [\"seq-scan\"]\n[rules.missing-index]\nseverity = \"error\"\n",
    )
    .unwrap();
    let output = planlint()
        .current_dir(dir.path())
        .args(["analyze", "--format", "json", "plans/**/*.json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "plans/old is excluded: {report}");
    assert_eq!(
        results[0]["partitions"][0]["partitions_total"], 8,
        "the catalog from the file"
    );
    let rules: Vec<&str> = results[0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(!rules.contains(&"seq-scan"), "{rules:?}");
    let index = results[0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "missing-index")
        .unwrap();
    assert_eq!(index["severity"], "error");
    assert_eq!(
        output.status.code(),
        Some(1),
        "an error-level finding fails at fail_on = error"
    );
    // The flag overrides the file.
    planlint()
        .current_dir(dir.path())
        .args(["analyze", "--fail-on", "never", "plans/a.json"])
        .assert()
        .code(0);
    // A bad key is an error naming it and the file.
    fs::write(
        dir.path().join("planlint.toml"),
        "[rules.seq-scan]\nmin_row = 1\n",
    )
    .unwrap();
    planlint()
        .current_dir(dir.path())
        .args(["analyze", "plans/a.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "planlint.toml: `rules.seq-scan.min_row`",
        ));
}

#[test]
fn a_bad_catalog_is_an_error_naming_it() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(b"{\"relations\": 3}").unwrap();
    planlint()
        .args([
            "analyze",
            "--catalog",
            file.path().to_str().unwrap(),
            "examples/orders-by-id.json",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a planlint catalog snapshot"));
}

#[test]
fn the_4000_partition_plan_collapses_to_a_screenful() {
    let plan = "tests/fixtures/plans/events_unpruned_4000.json";
    let output = planlint()
        .args(["analyze", "--color", "never", plan])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("4000 partitions (total unknown) of events"),
        "{stdout}"
    );
    assert!(
        stdout.lines().count() < 80,
        "{} lines:\n{stdout}",
        stdout.lines().count()
    );
}

#[test]
fn a_reader_that_goes_away_is_no_panic() {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("planlint"))
        .args([
            "analyze",
            "--format",
            "json",
            "tests/fixtures/plans/events_unpruned_4000.json",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_ne!(
        output.status.code(),
        Some(101),
        "panicked: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_query_file_gives_the_cause_and_the_rewrite_offline() {
    let plan = "tests/fixtures/plans/measurements_date_trunc_unpruned.json";
    let query = "tests/fixtures/plans/measurements_date_trunc_unpruned.sql";
    let (report, _) = json_report(&[
        "--catalog",
        "tests/fixtures/catalog.json",
        "--query",
        query,
        plan,
    ]);
    let finding = finding_of(&report, "unpruned-partitions").unwrap().clone();
    assert_eq!(finding["cause_kind"], "function-on-key");
    assert!(finding["rewrite_sql"]
        .as_str()
        .unwrap()
        .contains("created_at >= '2024-03-15' AND created_at < '2024-03-16'"));
    // Without the query the plan's filter still tells the cause, but nothing is rewritten.
    let (report, _) = json_report(&["--catalog", "tests/fixtures/catalog.json", plan]);
    let finding = finding_of(&report, "unpruned-partitions").unwrap().clone();
    assert_eq!(finding["cause_kind"], "function-on-key");
    assert!(finding["rewrite_sql"].is_null());
    assert!(finding["suggestion"]
        .as_str()
        .unwrap()
        .contains("--query FILE"));
    planlint()
        .args(["analyze", "--query", "no/such.sql", plan])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no/such.sql"));
}

#[test]
fn a_baseline_keeps_old_findings_quiet_and_lets_new_ones_fail() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("baseline.json");
    let old = "examples/orders-by-customer.json";
    let catalog = "examples/catalog.json";
    planlint()
        .args(["analyze", "--catalog", catalog, "--write-baseline"])
        .arg(&baseline)
        .arg(old)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("recorded 3 findings"));
    planlint()
        .args(["analyze", "--catalog", catalog, "--baseline"])
        .arg(&baseline)
        .arg(old)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("3 findings are in the baseline"))
        .stdout(predicate::str::contains("0 findings"));
    // The same plan under another name is another plan: its findings are new.
    let copy = dir.path().join("new.json");
    fs::copy(old, &copy).unwrap();
    planlint()
        .args(["analyze", "--catalog", catalog, "--baseline"])
        .arg(&baseline)
        .arg(&copy)
        .assert()
        .code(1);
    // Fingerprints of statements survive line moves: the statement's text, not its position.
    let query = dir.path().join("q.sql");
    fs::write(&query, "SELECT * FROM orders WHERE customer_id = 4242;").unwrap();
    let with_query = |extra: &[&str]| {
        let mut command = planlint();
        command
            .args(["analyze", "--catalog", catalog, "--query"])
            .arg(&query)
            .args(extra)
            .arg(old);
        command
    };
    with_query(&["--write-baseline", baseline.to_str().unwrap()])
        .assert()
        .code(0);
    fs::write(
        &query,
        "\n\n  SELECT *\n  FROM orders\n  WHERE customer_id = 4242;",
    )
    .unwrap();
    with_query(&["--baseline", baseline.to_str().unwrap()])
        .assert()
        .code(0);
    // `planlint baseline` records the same way.
    let recorded = dir.path().join("planlint-baseline.json");
    planlint()
        .args(["baseline", "-o"])
        .arg(&recorded)
        .args(["analyze", "--catalog", catalog, old])
        .assert()
        .code(0);
    planlint()
        .args(["analyze", "--catalog", catalog, "--baseline"])
        .arg(&recorded)
        .arg(old)
        .assert()
        .code(0);
    planlint()
        .args(["analyze", "--baseline", "no/such/baseline.json", old])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no/such/baseline.json"));
}

#[test]
fn check_help_says_plain_explain_executes_nothing_and_what_analyze_refuses() {
    planlint()
        .args(["check", "--help"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "plain EXPLAIN plans each statement and executes nothing",
        ))
        .stdout(predicate::str::contains(
            "any VOLATILE function that is not built in",
        ));
}

/// A partitioned index's DDL cut short leaves the parent index invalid: the text report shows a
/// long fix whole or not at all, and --fix-sql writes every fix whole as one psql script.
#[test]
fn long_ddl_is_never_shown_in_part_and_fix_sql_writes_it_whole() {
    let plan = "tests/fixtures/plans/measurements_by_value_unindexed.json";
    let catalog = "tests/fixtures/catalog.json";
    let output = planlint()
        .args(["analyze", "--catalog", catalog, plan])
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("-- 27 lines of DDL, not shown, since a part would leave an index invalid: --fix-sql FILE"),
        "{text}"
    );
    assert!(!text.contains("CREATE INDEX"), "{text}");

    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("fixes.sql");
    let script_name = script.to_str().unwrap();
    let output = planlint()
        .args([
            "analyze",
            "--catalog",
            catalog,
            "--fix-sql",
            script_name,
            plan,
        ])
        .args(["tests/fixtures/plans/customers_by_email_seq_scan.json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains(&format!(
            "-- 27 lines of DDL, written whole to {script_name}"
        )),
        "{text}"
    );
    let fixes = fs::read_to_string(&script).unwrap();
    assert!(fixes.contains("\\set ON_ERROR_STOP on\n"), "{fixes}");
    assert!(fixes.contains("CREATE INDEX measurements_value_sensor_id_idx ON ONLY public.measurements (value, sensor_id);"));
    assert_eq!(
        fixes
            .matches("CREATE INDEX CONCURRENTLY measurements_")
            .count(),
        13
    );
    assert_eq!(
        fixes
            .matches("ALTER INDEX public.measurements_value_sensor_id_idx ATTACH PARTITION")
            .count(),
        13
    );
    assert!(fixes
        .contains("CREATE INDEX CONCURRENTLY customers_email_idx ON public.customers (email);"));
    assert!(
        !fixes.contains("BEGIN"),
        "CONCURRENTLY cannot run in a transaction"
    );
}

/// The text report of each scenario, as a user reads it (no colour, the run time masked), as an
/// insta snapshot: a change of wording or ranking shows as a diff to review.
#[test]
fn text_reports_of_the_scenarios_are_reviewed_snapshots() {
    let catalog = "tests/fixtures/catalog.json";
    let plan = |name: &str| format!("tests/fixtures/plans/{name}.json");
    let query = |name: &str| format!("tests/fixtures/plans/{name}.sql");
    let with_query = |name: &str| vec!["--query".to_owned(), query(name), plan(name)];
    let scenarios: Vec<(&str, Vec<String>)> = vec![
        (
            "customer_lookup_unindexed",
            vec![plan("orders_by_customer_all_partitions")],
        ),
        (
            "customer_lookup_indexed",
            vec![plan("orders_by_customer_indexed_probes")],
        ),
        (
            "join_through_unindexed_key",
            vec![plan("customers_orders_join_unindexed_key")],
        ),
        (
            "or_across_columns",
            vec![plan("customers_email_or_last_order_unindexed")],
        ),
        (
            "date_trunc_rewrite",
            with_query("measurements_date_trunc_unpruned"),
        ),
        (
            "list_key_left_out_of_the_index",
            vec![plan("accounts_region_name_unindexed")],
        ),
        (
            "pruning_turned_off",
            vec![plan("prune_disabled_bare_key_seq_scan")],
        ),
        (
            "every_partition_removed_at_startup",
            with_query("orders_generic_plan_all_removed_at_startup"),
        ),
        (
            "ddl_too_long_to_show",
            vec![plan("measurements_by_value_unindexed")],
        ),
        (
            "hash_join_on_the_key",
            with_query("prune_join_hash_on_key_unpruned"),
        ),
        (
            "comparison_never_true",
            with_query("measurements_date_trunc_never_true"),
        ),
    ];
    for (name, args) in scenarios {
        let output = planlint()
            .args(["analyze", "--color", "never", "--catalog", catalog])
            .args(&args)
            .output()
            .unwrap();
        let text = String::from_utf8(output.stdout).unwrap();
        let (report, elapsed) = text.trim_end().rsplit_once(", in ").unwrap();
        assert!(elapsed.ends_with(" s"), "{text}");
        insta::assert_snapshot!(name, format!("{report}, in [elapsed]\n"));
    }
}

/// Numbers agree within a report: the table's size is the catalog's in every finding, and the
/// rows a parallel scan kept are the Gather's exact count, not a sum of rounded averages.
#[test]
fn numbers_in_one_report_agree() {
    let output = planlint()
        .args([
            "analyze",
            "--color",
            "never",
            "--catalog",
            "tests/fixtures/catalog.json",
            "tests/fixtures/plans/orders_by_customer_all_partitions.analyze.json",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("Gather  (rows=4 loops=1"), "{text}");
    assert!(text.contains("reads a table of 400,000 rows"), "{text}");
    assert!(
        text.contains("its filter discards >99.9% of them, keeping 4\n"),
        "{text}"
    );
    assert!(
        text.contains("rows read from orders (400,000 rows over 8 partitions)"),
        "{text}"
    );
    assert!(!text.contains("400,001"), "{text}");
}

/// Without a catalog the table's size is estimated from the plan: under a Parallel Append each
/// partition's scan was costed with workers of its own, not the Gather's, and the estimate
/// comes within 10% of the real size (the catalog's reltuples) for the captured plans.
#[test]
fn table_sizes_estimated_without_a_catalog_are_near_the_real_ones() {
    for (plan, real) in [
        ("measurements_by_value_unindexed", 242_000.0),
        ("orders_by_customer_all_partitions", 400_000.0),
        ("customers_by_email_seq_scan", 100_000.0),
    ] {
        let (report, _) = json_report(&[&format!("tests/fixtures/plans/{plan}.json")]);
        let seq_scan = finding_of(&report, "seq-scan").expect("a seq-scan finding");
        let message = seq_scan["message"].as_str().unwrap();
        let estimate: f64 = message
            .split("about ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .map(|number| number.replace(',', ""))
            .and_then(|number| number.parse().ok())
            .unwrap_or_else(|| panic!("{message}"));
        assert!(
            (estimate / real - 1.0).abs() < 0.10,
            "{plan}: about {estimate} rows for {real}: {message}"
        );
    }
}

#[test]
fn directory_walks_follow_links_but_not_loops_and_a_directory_without_plans_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let plans = dir.path().join("plans");
    fs::create_dir_all(plans.join("sub")).unwrap();
    fs::copy(
        "examples/orders-by-customer.txt",
        plans.join("sub").join("orders.txt"),
    )
    .unwrap();
    // `loop -> ..`: walking it would find the same plan again and again.
    std::os::unix::fs::symlink("..", plans.join("sub").join("loop")).unwrap();
    let output = planlint()
        .args(["analyze", "--format", "json", "--fail-on", "never"])
        .arg(&plans)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["summary"]["plans"], 1, "{report}");

    // Nothing silently green: a directory with no plan file exits 2 and names what it holds.
    let queries = dir.path().join("queries");
    fs::create_dir_all(&queries).unwrap();
    fs::write(queries.join("orders.sql"), "SELECT 1;\n").unwrap();
    let output = planlint().arg("analyze").arg(&queries).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains(&format!("{}: no plan found in it", queries.display()))
            && stderr.contains("orders.sql"),
        "{stderr}"
    );
}

#[test]
fn a_misspelt_key_rule_or_threshold_names_the_one_that_was_meant() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("planlint.toml");
    fs::write(&config, "[rules]\nselct = [\"PL001\"]\n").unwrap();
    for (args, expected) in [
        (
            vec!["analyze", "--config", config.to_str().unwrap(), "examples/orders-by-id.json"],
            "`rules.selct`: unknown key: neither `select`, `ignore` nor a rule's name (see `planlint rules`); did you mean `select`?",
        ),
        (
            vec!["rules", "missing-indx"],
            "no rule named \"missing-indx\" (`planlint rules` lists them); did you mean `missing-index`?",
        ),
        (
            vec!["analyze", "--threshold", "seq-scan.min_row=5", "examples/orders-by-id.json"],
            "did you mean \"min_rows\"?",
        ),
    ] {
        let output = planlint().args(&args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

#[test]
fn the_pre_commit_hook_runs_planlint_on_the_files_it_is_given() {
    let text = fs::read_to_string(".pre-commit-hooks.yaml").unwrap();
    let hooks = yaml_rust2::YamlLoader::load_from_str(&text).unwrap();
    let hook = &hooks[0][0];
    assert_eq!(hook["id"].as_str(), Some("planlint"));
    assert_eq!(hook["language"].as_str(), Some("rust"));
    let files = hook["files"].as_str().unwrap();
    for extension in ["json", "txt", "plan", "yaml", "yml", "xml"] {
        assert!(files.contains(extension), "{files}");
    }
    // pre-commit runs the entry with the changed files appended.
    let entry: Vec<&str> = hook["entry"].as_str().unwrap().split_whitespace().collect();
    assert_eq!(entry[0], "planlint");
    let output = planlint()
        .args(&entry[1..])
        .args([
            "examples/orders-by-customer.txt",
            "examples/orders-by-id.json",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "findings fail the commit");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("2 files, 2 plans"), "{stdout}");
}

#[test]
fn completions_and_the_man_page_come_from_the_argument_definitions() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let output = planlint().args(["completions", shell]).output().unwrap();
        assert!(output.status.success(), "{shell}");
        let script = String::from_utf8(output.stdout).unwrap();
        for word in ["analyze", "check", "catalog", "fail-on"] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    // The bash script is valid bash.
    let output = planlint().args(["completions", "bash"]).output().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("planlint.bash");
    fs::write(&script, &output.stdout).unwrap();
    let status = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .status()
        .unwrap();
    assert!(status.success());
    let output = planlint().arg("man").output().unwrap();
    assert!(output.status.success());
    let page = String::from_utf8(output.stdout).unwrap();
    assert!(page.contains(".TH planlint 1"), "{page}");
    assert!(
        page.contains("analyze") && page.contains("Exit codes"),
        "{page}"
    );
    let output = planlint().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
}
