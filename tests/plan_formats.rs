//! Every EXPLAIN format gives the same analysis: each fixture's text, YAML and XML captures
//! (taken in the same session as its JSON, scripts/capture-fixtures.sh) against its JSON, and
//! the text plan in every psql framing against the bare text. The JSON-against-text checks run
//! on every server version's captures (tests/common/captures.rs): 15's flat fixtures, with YAML
//! and XML, and each `tests/fixtures/plans/<major>/`, JSON and text.
//!
//! `PLANLINT_FIXTURES_DIR` points the tests at another capture (CI re-captures the fixtures
//! from its own PostgreSQL and holds them to the same parity).

use std::fs;
use std::path::Path;

use serde_json::Value;

use planlint::catalog::Catalog;
use planlint::plan::{Buffers, Explain, PlanGraph};
use planlint::report::render_json;
use planlint::rules::Config;
use planlint::source::{read_plans, PlanFormat};
use planlint::sql::split_statements;
use planlint::{analyze, analyze_query, AnalyzedPlan};

mod common;
use common::captures::{captures, Capture};
use common::planlint;

/// The captured fixtures: `tests/fixtures`, or `PLANLINT_FIXTURES_DIR`.
fn fixtures_dir() -> String {
    common::captures::fixtures_dir()
        .to_string_lossy()
        .into_owned()
}

fn read(path: &str) -> (Vec<Explain>, PlanFormat) {
    let text = fs::read_to_string(path).unwrap_or_else(|error| panic!("{path}: {error}"));
    let loaded = read_plans(path, &text).unwrap_or_else(|error| panic!("{error}"));
    assert!(loaded.warnings.is_empty(), "{path}: {:?}", loaded.warnings);
    (loaded.plans, loaded.format)
}

/// The fixture names of a capture (from their `.sql` files), sorted.
fn fixtures(capture: &Capture) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(&capture.plans)
        .unwrap()
        .filter_map(|entry| {
            let name = entry.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".sql").map(str::to_owned)
        })
        .collect();
    names.sort();
    assert!(names.len() > 50, "fixtures are missing");
    names
}

/// The typed fields of every node, one line each, as the rules see them.
fn typed_nodes(graph: &PlanGraph) -> Vec<String> {
    graph
        .ids()
        .map(|id| {
            let node = graph.node(id);
            format!(
                "{} | {:?} | parent {:?} | {:?} {:?} {:?} {:?} {:?} {:?} {:?} | cost {:?}..{:?} rows {:?} \
                 width {:?} | filter {:?} index {:?} recheck {:?} hash {:?} merge {:?} join {:?} \
                 one-time {:?} | removed {:?} subplans {:?} workers {:?} | {:?} {:?} {:?} {:?} {:?}",
                graph.path(id),
                graph.relationship(id),
                graph.parent(id).map(|parent| parent.index()),
                node.relation_name,
                node.schema,
                node.alias,
                node.index_name,
                node.cte_name,
                node.function_name,
                node.subplan_name,
                node.startup_cost,
                node.total_cost,
                node.plan_rows,
                node.plan_width,
                node.filter,
                node.index_cond,
                node.recheck_cond,
                node.hash_cond,
                node.merge_cond,
                node.join_filter,
                node.one_time_filter,
                node.rows_removed_by_filter,
                node.subplans_removed,
                node.workers_planned,
                node.strategy,
                node.partial_mode,
                node.operation,
                node.join_type,
                node.parallel_aware,
            )
        })
        .collect()
}

/// The report's roll-ups and findings for a plan of `capture`, analysed with the catalog and
/// the statement, and without either.
fn analysis(explain: Explain, name: &str, capture: &Capture) -> Vec<Value> {
    let catalog_path = if name.starts_with("events_") {
        format!("{}/catalog-events.json", fixtures_dir())
    } else {
        capture.catalog.to_string_lossy().into_owned()
    };
    let catalog =
        Catalog::from_json(&catalog_path, &fs::read_to_string(&catalog_path).unwrap()).unwrap();
    let sql = fs::read_to_string(capture.plan(&format!("{name}.sql"))).unwrap();
    let statement = split_statements(&sql).pop().unwrap().text;
    let config = Config::default();
    let mut explain = Some(explain);
    [true, false]
        .into_iter()
        .map(|with_context| {
            let plan = explain.take().expect("the plan is back");
            let analysis = if with_context {
                analyze_query(&plan, &statement, Some(&catalog), &config)
            } else {
                analyze(&plan, None, &config)
            };
            let analyzed = AnalyzedPlan {
                source: name.to_owned(),
                location: None,
                plan_number: 1,
                statement: None,
                explain: plan,
                analysis,
                workload: None,
            };
            let report: Value =
                serde_json::from_str(&render_json(std::slice::from_ref(&analyzed), &[])).unwrap();
            explain = Some(analyzed.explain);
            let result = &report["results"][0];
            serde_json::json!({
                "partitions": result["partitions"],
                "findings": result["findings"],
            })
        })
        .collect()
}

/// `value` with every number in its strings and every number replaced by `#`: for plans
/// measured in two runs (EXPLAIN ANALYZE), whose timings, and for parallel plans rows per
/// loop, differ from run to run.
fn without_measurements(value: &Value) -> Value {
    match value {
        Value::Number(_) => Value::String("#".into()),
        Value::String(text) => {
            let mut masked = String::with_capacity(text.len());
            let mut in_number = false;
            for c in text.chars() {
                if c.is_ascii_digit() || (in_number && matches!(c, '.' | ',')) {
                    if !in_number {
                        masked.push('#');
                    }
                    in_number = true;
                } else {
                    in_number = false;
                    masked.push(c);
                }
            }
            Value::String(masked)
        }
        Value::Array(items) => Value::Array(items.iter().map(without_measurements).collect()),
        Value::Object(members) => Value::Object(
            members
                .iter()
                .map(|(key, value)| (key.clone(), without_measurements(value)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[test]
fn text_yaml_and_xml_plans_read_as_the_same_nodes_and_findings_as_their_json() {
    let mut compared = 0;
    for capture in captures() {
        for name in fixtures(&capture) {
            let (mut json, format) = read(&capture.plan(&format!("{name}.json")));
            assert_eq!(format, PlanFormat::Json);
            let json = json.remove(0);
            let expected_nodes = typed_nodes(&json.graph);
            let expected = analysis(json, &name, &capture);
            for (extension, expected_format) in [
                ("txt", PlanFormat::Text),
                ("yaml", PlanFormat::Yaml),
                ("xml", PlanFormat::Xml),
            ] {
                let path = capture.plan(&format!("{name}.{extension}"));
                if !Path::new(&path).exists() {
                    // YAML and XML are captured on 15 only, and not for the events database.
                    assert!(
                        extension != "txt" && (capture.major != 15 || name.starts_with("events_")),
                        "{path} is missing"
                    );
                    continue;
                }
                let (mut plans, format) = read(&path);
                assert_eq!(format, expected_format, "{path}");
                assert_eq!(plans.len(), 1, "{path}");
                let plan = plans.remove(0);
                assert_eq!(typed_nodes(&plan.graph), expected_nodes, "{path}: nodes");
                assert_eq!(
                    analysis(plan, &name, &capture),
                    expected,
                    "{path}: analysis"
                );
                compared += 1;
            }
        }
    }
    assert!(compared > 500, "{compared}");
}

#[test]
fn text_explain_analyze_reads_as_the_same_findings_as_its_json_but_for_measurements() {
    for capture in captures() {
        for name in fixtures(&capture) {
            analyze_text_matches_json(&capture, &name);
        }
    }
}

/// A fixture's EXPLAIN ANALYZE in text reads as its JSON, but for the measurements.
fn analyze_text_matches_json(capture: &Capture, name: &str) {
    let name = format!("{name} of PostgreSQL {}", capture.major);
    {
        let stem = name.split(' ').next().unwrap();
        let (mut json, _) = read(&capture.plan(&format!("{stem}.analyze.json")));
        let json = json.remove(0);
        let (mut text, format) = read(&capture.plan(&format!("{stem}.analyze.txt")));
        assert_eq!(format, PlanFormat::Text);
        let text = text.remove(0);
        assert_eq!(text.graph.len(), json.graph.len(), "{name}");
        for id in json.graph.ids() {
            let (from_json, from_text) = (json.graph.node(id), text.graph.node(id));
            assert_eq!(text.graph.path(id), json.graph.path(id), "{name}");
            assert_eq!(
                text.graph.relationship(id),
                json.graph.relationship(id),
                "{name}: {}",
                json.graph.path(id)
            );
            assert_eq!(from_text.is_analyzed(), from_json.is_analyzed(), "{name}");
            assert_eq!(
                from_text.never_executed(),
                from_json.never_executed(),
                "{name}"
            );
            assert_eq!(from_text.filter, from_json.filter, "{name}");
            assert_eq!(
                from_text.subplans_removed, from_json.subplans_removed,
                "{name}"
            );
            assert_eq!(
                from_text.rows_removed_by_filter.is_some(),
                from_json.rows_removed_by_filter.is_some(),
                "{name}: {}",
                json.graph.path(id)
            );
            // Text prints no Buffers line when every count is zero.
            match (&from_text.buffers, &from_json.buffers) {
                (Some(_), Some(_)) | (None, None) => {}
                (None, Some(buffers)) => assert_eq!(
                    **buffers,
                    Buffers {
                        shared_hit: Some(0),
                        shared_read: Some(0),
                        shared_dirtied: Some(0),
                        shared_written: Some(0),
                        local_hit: Some(0),
                        local_read: Some(0),
                        temp_read: Some(0),
                        temp_written: Some(0),
                    },
                    "{name}: {}",
                    json.graph.path(id)
                ),
                (Some(_), None) => panic!("{name}: buffers only in text"),
            }
        }
        assert_eq!(
            text.planning_time.is_some(),
            json.planning_time.is_some(),
            "{name}"
        );
        assert_eq!(
            text.execution_time.is_some(),
            json.execution_time.is_some(),
            "{name}"
        );
        assert_eq!(text.settings, json.settings, "{name}");
        let expected: Vec<Value> = analysis(json, stem, capture)
            .iter()
            .map(without_measurements)
            .collect();
        let got: Vec<Value> = analysis(text, stem, capture)
            .iter()
            .map(without_measurements)
            .collect();
        assert_eq!(got, expected, "{name}");
    }
}

/// The plain text plan of the customer query, as every framing must read.
fn bare_text_nodes() -> Vec<String> {
    let (plans, _) = read(&format!(
        "{}/paste/orders_by_customer.text.bare.txt",
        fixtures_dir()
    ));
    assert_eq!(plans.len(), 1);
    typed_nodes(&plans[0].graph)
}

#[test]
fn every_psql_framing_of_a_text_plan_reads_as_the_bare_text() {
    let expected = bare_text_nodes();
    let (json, _) = read(&format!(
        "{}/plans/orders_by_customer_all_partitions.json",
        fixtures_dir()
    ));
    assert_eq!(
        expected,
        typed_nodes(&json[0].graph),
        "bare text against JSON"
    );
    let mut framings = 0;
    for entry in fs::read_dir(format!("{}/paste", fixtures_dir())).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_str().unwrap().to_owned();
        if !file.starts_with("orders_by_customer.text.") || file.contains("analyze") {
            continue;
        }
        let (plans, format) = read(path.to_str().unwrap());
        assert_eq!(format, PlanFormat::Text, "{file}");
        assert_eq!(plans.len(), 1, "{file}");
        assert_eq!(typed_nodes(&plans[0].graph), expected, "{file}");
        framings += 1;
    }
    assert!(framings >= 38, "{framings}");
}

#[test]
fn json_yaml_and_xml_in_psql_framings_read_as_their_fixture() {
    let (json, _) = read(&format!(
        "{}/plans/countries_by_name_tiny_seq_scan.json",
        fixtures_dir()
    ));
    let expected = typed_nodes(&json[0].graph);
    let mut framings = 0;
    for entry in fs::read_dir(format!("{}/paste", fixtures_dir())).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_str().unwrap().to_owned();
        if !file.starts_with("countries_by_name.") || file.contains("twice") {
            continue;
        }
        let (plans, _) = read(path.to_str().unwrap());
        assert_eq!(plans.len(), 1, "{file}");
        let got = typed_nodes(&plans[0].graph);
        if file.contains("costs_off") {
            // EXPLAIN (COSTS OFF): the same plan, without the estimates.
            let costs = " | cost Some(0.0)..Some(4.5) rows Some(1.0) width Some(16.0) |";
            assert_eq!(
                got,
                [expected[0].replace(costs, " | cost None..None rows None width None |")]
            );
        } else {
            assert_eq!(got, expected, "{file}");
        }
        framings += 1;
    }
    assert!(framings >= 20, "{framings}");
}

#[test]
fn the_pasted_text_explain_analyze_names_the_unpruned_partitions_and_the_missing_index() {
    // The story planlint exists for: `EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM orders WHERE
    // customer_id = ...` run in psql, the screen pasted with the statement above it, no database.
    let output = planlint()
        .args(["analyze", "--format", "json", "--fail-on", "never"])
        .arg(format!(
            "{}/paste/orders_by_customer.text.analyze_echoed.txt",
            fixtures_dir()
        ))
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let result = &report["results"][0];
    let scan = &result["partitions"][0];
    assert_eq!(scan["parent"], "orders");
    assert_eq!(scan["partitions_in_plan"], 8);
    let rules: Vec<&str> = result["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"unpruned-partitions"), "{rules:?}");
    assert!(rules.contains(&"missing-index"), "{rules:?}");
    let missing = result["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|finding| finding["rule"] == "missing-index")
        .unwrap();
    assert!(missing["message"].as_str().unwrap().contains("customer_id"));
    assert!(missing["fix_sql"].as_str().unwrap().contains(
        "CREATE INDEX CONCURRENTLY orders_p8_customer_id_idx ON orders_p8 (customer_id)"
    ));
    // The statement psql echoed above the plan is the query the plan is of: no need to pass it.
    let text = fs::read_to_string(format!(
        "{}/paste/orders_by_customer.text.analyze_echoed.txt",
        fixtures_dir()
    ))
    .unwrap();
    let loaded = read_plans("paste", &text).unwrap();
    assert_eq!(
        loaded.plans[0].query_text.as_deref(),
        Some("SELECT * FROM orders WHERE customer_id = 4242")
    );
    let unpruned = result["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|finding| finding["rule"] == "unpruned-partitions")
        .unwrap();
    assert!(
        !unpruned["suggestion"].as_str().unwrap().contains("--query"),
        "{unpruned}"
    );
}

#[test]
fn a_text_plan_cut_off_is_analysed_as_far_as_it_goes_with_a_warning_saying_where() {
    let path = format!(
        "{}/paste/orders_by_customer.text.analyze_echoed.txt",
        fixtures_dir()
    );
    let text = fs::read_to_string(&path).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Cut inside the fourth partition's node line, and after the line before it.
    let line_start = text.find("->  Parallel Seq Scan on orders_p4").unwrap();
    let inside = line_start + "->  Parallel Seq Scan on orders_p4 orders_4  (cost=0.0".len();
    let (line, column) = {
        let before = &text[..inside];
        let line = before.matches('\n').count() + 1;
        let column = before.len() - before.rfind('\n').map_or(0, |at| at + 1) + 1;
        (line, column)
    };
    let cut = dir.path().join("cut.txt");
    fs::write(&cut, &text[..inside]).unwrap();
    let output = planlint()
        .args(["analyze", "--format", "json", "--fail-on", "never"])
        .arg(&cut)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    let expected = format!("planlint: warning: {}:{line}:", cut.display());
    assert!(stderr.starts_with(&expected), "{stderr}");
    assert!(stderr.contains("cut off"), "{stderr}");
    let _ = column;
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let scan = &report["results"][0]["partitions"][0];
    assert_eq!(scan["partitions_in_plan"], 4, "{scan}");
    let rules: Vec<&str> = report["results"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"missing-index"), "{rules:?}");

    // Cut at the end of a line, before a Hash Join's second input: the structure says so.
    let cut_line = &text[..line_start];
    let cut_line = &cut_line[..cut_line.rfind('\n').unwrap() + 1];
    let joined = fs::read_to_string(format!(
        "{}/plans/customers_orders_join_unindexed_key.txt",
        fixtures_dir()
    ))
    .unwrap();
    let hash = joined.find("->  Hash  (").unwrap();
    let before_hash = &joined[..joined[..hash].rfind('\n').unwrap() + 1];
    for (name, cut_text, expected) in [
        ("lines.txt", cut_line, None),
        ("join.txt", before_hash, Some("has 1 of its 2 inputs")),
    ] {
        let file = dir.path().join(name);
        fs::write(&file, cut_text).unwrap();
        let output = planlint()
            .args(["analyze", "--format", "json", "--fail-on", "never"])
            .arg(&file)
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        match expected {
            Some(expected) => assert!(stderr.contains(expected), "{name}: {stderr}"),
            None => assert!(stderr.is_empty(), "{name}: {stderr}"),
        }
    }
}
