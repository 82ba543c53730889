//! The library API on real captured plans: the typed model, the graph, paths, extra fields.

use std::fs;

use planlint::plan::{Explain, Relationship};
use planlint::source::load_str;

fn load(name: &str) -> Explain {
    let path = format!("tests/fixtures/plans/{name}");
    let text = fs::read_to_string(&path).unwrap();
    let mut plans = load_str(&path, &text).unwrap();
    assert_eq!(plans.len(), 1, "{path}");
    plans.remove(0)
}

#[test]
fn every_option_of_explain_is_read_and_unknown_fields_are_kept() {
    let explain = load("orders_by_customer_all_options.analyze.json");
    assert!(explain.planning_time.is_some_and(|ms| ms > 0.0));
    assert!(explain.execution_time.is_some_and(|ms| ms > 0.0));
    assert!(explain
        .settings
        .contains(&("enable_partition_pruning".to_owned(), "off".to_owned())));
    assert!(explain
        .settings
        .contains(&("work_mem".to_owned(), "16MB".to_owned())));
    let extra: Vec<&str> = explain.extra.iter().map(|(key, _)| key.as_str()).collect();
    assert_eq!(extra, ["Planning", "Triggers"]);

    let graph = &explain.graph;
    let scan = graph
        .ids()
        .find(|&id| graph.node(id).relation_name.as_deref() == Some("orders_p1"))
        .unwrap();
    let node = graph.node(scan);
    assert_eq!(node.node_type, "Seq Scan");
    assert!(node.parallel_aware);
    assert_eq!(node.schema.as_deref(), Some("public"));
    assert_eq!(node.alias.as_deref(), Some("orders_1"));
    assert!(node
        .filter
        .as_deref()
        .unwrap()
        .contains("customer_id = 4242"));
    assert!(node.rows_removed_by_filter.is_some_and(|rows| rows > 0.0));
    assert!(node.actual_loops.is_some() && node.actual_rows.is_some());
    assert!(node
        .buffers
        .as_ref()
        .is_some_and(|b| b.shared_hit.is_some()));
    // The output list, WAL counters and per-worker details are not typed, but kept verbatim.
    let output: Vec<String> =
        serde_json::from_str(node.extra_field("Output").unwrap().get()).unwrap();
    assert!(!output.is_empty());
    assert!(node.extra_field("WAL Records").is_some());
    assert!(node
        .extra_field("Async Capable")
        .is_some_and(|raw| raw.get() == "false"));
}

#[test]
fn nodes_are_numbered_in_pre_order_with_labelled_edges_and_readable_paths() {
    let explain = load("orders_join_customers_hash.json");
    let graph = &explain.graph;
    let root = graph.root().unwrap();
    assert_eq!(root.index(), 0);
    assert_eq!(graph.node(root).node_type, "Hash Join");
    for id in graph.ids().skip(1) {
        let parent = graph.parent(id).unwrap();
        assert!(
            parent < id,
            "a parent comes before its children in pre-order"
        );
        assert!(graph.children(parent).contains(&id));
        assert_eq!(
            graph.relationship(id).map(Relationship::as_str),
            graph
                .node(id)
                .parent_relationship
                .as_ref()
                .map(Relationship::as_str)
        );
    }
    let children = graph.children(root);
    assert_eq!(graph.relationship(children[0]), Some(&Relationship::Outer));
    assert_eq!(graph.relationship(children[1]), Some(&Relationship::Inner));
    let partition = graph
        .ids()
        .find(|&id| graph.node(id).relation_name.as_deref() == Some("orders_p3"))
        .unwrap();
    assert_eq!(graph.relationship(partition), Some(&Relationship::Member));
    assert_eq!(
        graph.path(partition),
        "Hash Join > Append > Seq Scan on orders_p3"
    );
    let hash = graph
        .ids()
        .find(|&id| graph.node(id).node_type == "Hash")
        .unwrap();
    assert_eq!(
        graph.path(graph.children(hash)[0]),
        "Hash Join > Hash > Seq Scan on customers"
    );
    assert_eq!(graph.inner().edge_count(), graph.len() - 1);
}

#[test]
fn labels_follow_explains_text_format() {
    let explain = load("orders_by_customer_all_partitions.json");
    let graph = &explain.graph;
    let labels: Vec<String> = graph.ids().take(3).map(|id| graph.label(id)).collect();
    assert_eq!(
        labels,
        [
            "Gather",
            "Parallel Append",
            "Parallel Seq Scan on orders_p1"
        ]
    );
    let explain = load("customers_by_id_index_scan.json");
    assert_eq!(
        explain.graph.label(explain.graph.root().unwrap()),
        "Index Scan using customers_pkey on customers"
    );
}

/// Applies `edit` to every plan node of a JSON plan, iteratively.
fn edit_nodes(
    plan: &mut serde_json::Value,
    edit: &dyn Fn(&mut serde_json::Map<String, serde_json::Value>),
) {
    let mut pending = vec![&mut plan[0]["Plan"]];
    while let Some(node) = pending.pop() {
        let object = node.as_object_mut().unwrap();
        edit(object);
        if let Some(serde_json::Value::Array(children)) = object.get_mut("Plans") {
            pending.extend(children.iter_mut());
        }
    }
}

#[test]
fn fields_of_other_server_versions_are_accepted() {
    let text =
        fs::read_to_string("tests/fixtures/plans/orders_by_customer_all_partitions.analyze.json")
            .unwrap();
    let original = load_str("pg15", &text).unwrap().remove(0);

    // PostgreSQL 18: fractional actual rows, new per-node fields.
    let mut pg18: serde_json::Value = serde_json::from_str(&text).unwrap();
    edit_nodes(&mut pg18, &|node| {
        if let Some(rows) = node.get("Actual Rows").and_then(|rows| rows.as_f64()) {
            node.insert("Actual Rows".into(), serde_json::json!(rows + 0.5));
        }
        node.insert("Disabled".into(), serde_json::json!(false));
        node.insert("Index Searches".into(), serde_json::json!(0));
    });
    let parsed = load_str("pg18", &pg18.to_string()).unwrap().remove(0);
    assert_eq!(parsed.graph.len(), original.graph.len());
    assert!(parsed
        .graph
        .node(parsed.graph.root().unwrap())
        .extra_field("Disabled")
        .is_some());

    // PostgreSQL 12: no "Async Capable" (14+), "Subplans Removed" only when above 0.
    let mut pg12: serde_json::Value = serde_json::from_str(&text).unwrap();
    edit_nodes(&mut pg12, &|node| {
        node.remove("Async Capable");
        if node.get("Subplans Removed") == Some(&serde_json::json!(0)) {
            node.remove("Subplans Removed");
        }
    });
    let parsed = load_str("pg12", &pg12.to_string()).unwrap().remove(0);
    let config = planlint::rules::Config::default();
    let rules = |explain: &Explain| -> Vec<String> {
        planlint::analyze(explain, None, &config)
            .findings
            .into_iter()
            .map(|f| f.rule)
            .collect()
    };
    assert_eq!(rules(&parsed), rules(&original));
}

/// An Append whose every partition was removed at executor start-up names no partition: its
/// table comes from the statement, and the roll-up says all were removed.
#[test]
fn an_append_emptied_at_startup_gets_its_roll_up_from_the_statement() {
    let name = "orders_generic_plan_all_removed_at_startup";
    let explain = load(&format!("{name}.json"));
    let query = fs::read_to_string(format!("tests/fixtures/plans/{name}.sql")).unwrap();
    let text = fs::read_to_string("tests/fixtures/catalog.json").unwrap();
    let catalog = planlint::catalog::Catalog::from_json("catalog.json", &text).unwrap();
    let config = planlint::rules::Config::default();
    for catalog in [Some(&catalog), None] {
        let analysis = planlint::analyze_query(&explain, &query, catalog, &config);
        let [scan] = analysis.partitions.as_slice() else {
            panic!("one roll-up: {:?}", analysis.partitions)
        };
        assert_eq!(scan.parent, "orders");
        assert_eq!(
            scan.parent_source,
            planlint::partitions::ParentSource::Statement
        );
        assert_eq!((scan.partitions_in_plan, scan.removed_at_startup), (0, 8));
        assert_eq!(scan.partitions_total, catalog.map(|_| 8));
        assert!(analysis.findings.is_empty(), "{:?}", analysis.findings);
    }
    // Without the statement, the catalog names it when one partitioned table alone has 8
    // partitions; here sessions has 8 too, so nothing does.
    let analysis = planlint::analyze(&explain, Some(&catalog), &config);
    assert!(analysis.partitions.is_empty());
    let orders_only = catalog.restricted_to(&[(None, "orders".to_owned())]);
    let analysis = planlint::analyze(&explain, Some(&orders_only), &config);
    assert_eq!(analysis.partitions[0].parent, "orders");
    assert_eq!(
        analysis.partitions[0].parent_source,
        planlint::partitions::ParentSource::Catalog
    );
    assert_eq!(analysis.partitions[0].partitions_total, Some(8));
}

#[test]
fn findings_carry_the_time_their_node_took_or_the_statements_measured_time() {
    use planlint::impact::{assign, ImpactBasis};
    use planlint::workload::Workload;

    /// The captured plan `name` analysed without a catalog, with `workload`.
    fn analyzed(name: &str, workload: Option<Workload>) -> planlint::AnalyzedPlan {
        let explain = load(name);
        let analysis = planlint::analyze(&explain, None, &planlint::rules::Config::default());
        planlint::AnalyzedPlan {
            source: name.to_owned(),
            location: None,
            statement: None,
            plan_number: 1,
            explain,
            analysis,
            workload,
        }
    }

    let name = "orders_by_customer_all_partitions.analyze.json";
    let raw: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(format!("tests/fixtures/plans/{name}")).unwrap())
            .unwrap();
    let gather = &raw[0]["Plan"];
    let append = &gather["Plans"][0];
    assert_eq!(append["Node Type"], "Append");
    let mut plan = analyzed(name, None);
    assign(&mut plan);
    let on_append: Vec<_> = plan
        .analysis
        .findings
        .iter()
        .filter(|finding| finding.node_path.ends_with("Append"))
        .collect();
    assert!(!on_append.is_empty());
    // The Parallel Append ran in 3 processes side by side (3 loops): its time per loop, times
    // its loops, over those 3 processes, with its partition scans rolled into it.
    assert_eq!(append["Actual Loops"], 3);
    let expected = append["Actual Total Time"].as_f64().unwrap();
    let execution = gather["Actual Total Time"].as_f64().unwrap();
    for finding in on_append {
        let impact = finding
            .impact
            .expect("an ANALYZE plan tells the node's time");
        assert_eq!(impact.basis, ImpactBasis::NodeTime);
        assert!((impact.time_ms - expected).abs() < 1e-9, "{impact:?}");
        let share = impact.share.unwrap();
        assert!((share - expected / execution).abs() < 1e-9, "{impact:?}");
    }

    // A plain plan with the statement's measured time: the finding accounts for at most that.
    let workload = Workload {
        total_time_ms: Some(1234.5),
        share: Some(0.75),
        ..Workload::default()
    };
    let mut plan = analyzed("orders_by_customer_all_partitions.json", Some(workload));
    assign(&mut plan);
    let impact = plan.analysis.findings[0].impact.unwrap();
    assert_eq!(
        (impact.basis, impact.time_ms, impact.share),
        (ImpactBasis::StatementTime, 1234.5, Some(0.75))
    );
}

#[test]
fn findings_are_listed_worst_node_first_the_fix_before_its_symptoms() {
    use planlint::impact::{assign, ImpactBasis};

    let mut reordered = 0;
    let mut checked = 0;
    let versions = fs::read_dir("tests/fixtures/plans")
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.is_dir()
                && path
                    .file_name()
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .parse::<u32>()
                    .is_ok()
        });
    let files = std::iter::once(std::path::PathBuf::from("tests/fixtures/plans")).chain(versions);
    for dir in files {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if !path.to_str().unwrap().ends_with(".analyze.json") {
                continue;
            }
            let text = fs::read_to_string(&path).unwrap();
            let name = path.display().to_string();
            for explain in load_str(&name, &text).unwrap() {
                let analysis =
                    planlint::analyze(&explain, None, &planlint::rules::Config::default());
                let in_rules_order: Vec<usize> = analysis
                    .findings
                    .iter()
                    .map(|finding| finding.node_id)
                    .collect();
                let mut plan = planlint::AnalyzedPlan {
                    source: name.clone(),
                    location: None,
                    statement: None,
                    plan_number: 1,
                    explain,
                    analysis,
                    workload: None,
                };
                assign(&mut plan);
                let findings = &plan.analysis.findings;
                let times: Vec<f64> = findings
                    .iter()
                    .filter_map(|finding| finding.impact)
                    .filter(|impact| impact.basis == ImpactBasis::NodeTime)
                    .map(|impact| impact.time_ms)
                    .collect();
                assert!(
                    times.windows(2).all(|pair| pair[0] >= pair[1]),
                    "{name}: not worst first: {times:?}"
                );
                // One node's findings stay together, the one holding the fix first.
                for (index, finding) in findings.iter().enumerate() {
                    let holds_fix = |f: &planlint::rules::Finding| {
                        f.rewrite_sql.is_some() || f.fix_sql.is_some()
                    };
                    if holds_fix(finding) {
                        let first_of_node = findings
                            .iter()
                            .position(|other| other.node_id == finding.node_id)
                            .unwrap();
                        assert!(
                            findings[first_of_node..index].iter().all(holds_fix),
                            "{name}: a symptom comes before the fix at node {}",
                            finding.node_id
                        );
                    }
                }
                let now: Vec<usize> = findings.iter().map(|finding| finding.node_id).collect();
                checked += 1;
                if now != in_rules_order {
                    reordered += 1;
                }
            }
        }
    }
    assert!(checked > 50, "only {checked} ANALYZE plans");
    // Some captured plans have a slower node after a faster one: the order is really by time.
    assert!(reordered > 0, "no plan was reordered by its nodes' times");
}
