//! Partition roll-ups on every server version's captures (tests/common/captures.rs): the
//! cases of tests/rollups.toml, each on PostgreSQL 12 to 18 unless it says otherwise.
//!
//! The JSON-against-text parity of every version's captures is in tests/plan_formats.rs and the
//! rules' cases on every version in tests/rule_meta.rs.

use std::fs;

use serde_json::Value;

use planlint::catalog::Catalog;
use planlint::partitions::PartitionScan;
use planlint::plan::parse_plans;
use planlint::rules::Config;

mod common;
use common::captures::{captures, version_matches, Capture};

/// tests/rollups.toml.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Cases {
    case: Vec<Case>,
}

/// One plan's expected roll-up: the first partitioned-table scan it shows.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    plan: String,
    catalog: bool,
    #[serde(default)]
    query: bool,
    versions: Option<String>,
    /// None: the plan shows no partitioned-table scan.
    parent: Option<String>,
    parent_source: Option<String>,
    partitions_in_plan: Option<usize>,
    partitions_total: Option<usize>,
    #[serde(default)]
    removed_at_startup: u64,
    #[serde(default)]
    never_executed: usize,
    pruned_at: Option<Vec<String>>,
    runtime_pruning_possible: Option<bool>,
}

/// The roll-ups of a case's plan in `capture`.
fn roll_ups(case: &Case, capture: &Capture) -> Vec<PartitionScan> {
    let path = capture.plan(&case.plan);
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut explains = parse_plans(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(explains.len(), 1, "{path}");
    let explain = explains.remove(0);
    let catalog = case.catalog.then(|| {
        let text = fs::read_to_string(&capture.catalog).unwrap();
        Catalog::from_json("catalog.json", &text).unwrap()
    });
    let config = Config::default();
    let analysis = if case.query {
        let stem = case.plan.split('.').next().unwrap();
        let sql = fs::read_to_string(capture.plan(&format!("{stem}.sql"))).unwrap();
        planlint::analyze_query(&explain, &sql, catalog.as_ref(), &config)
    } else {
        planlint::analyze(&explain, catalog.as_ref(), &config)
    };
    analysis.partitions
}

/// What differs between a roll-up and the case, as messages.
fn differences(case: &Case, scans: &[PartitionScan]) -> Vec<String> {
    let Some(parent) = &case.parent else {
        return match scans {
            [] => Vec::new(),
            _ => vec![format!(
                "expected no partition scan, got {:?}",
                parents(scans)
            )],
        };
    };
    let Some(scan) = scans.first() else {
        return vec![format!("expected a scan of {parent}, got none")];
    };
    let mut found = Vec::new();
    let mut check = |what: &str, expected: Value, got: Value| {
        if expected != got {
            found.push(format!("{what}: expected {expected}, got {got}"));
        }
    };
    check(
        "parent",
        parent.as_str().into(),
        scan.parent.as_str().into(),
    );
    if let Some(source) = &case.parent_source {
        check(
            "parent_source",
            source.as_str().into(),
            serde_json::to_value(scan.parent_source).unwrap(),
        );
    }
    if let Some(count) = case.partitions_in_plan {
        check(
            "partitions_in_plan",
            count.into(),
            scan.partitions_in_plan.into(),
        );
    }
    if let Some(total) = case.partitions_total {
        check(
            "partitions_total",
            total.into(),
            scan.partitions_total.into(),
        );
    }
    check(
        "removed_at_startup",
        case.removed_at_startup.into(),
        scan.removed_at_startup.into(),
    );
    check(
        "never_executed",
        case.never_executed.into(),
        scan.never_executed.into(),
    );
    if let Some(phases) = &case.pruned_at {
        check(
            "pruned_at",
            serde_json::to_value(phases).unwrap(),
            serde_json::to_value(&scan.pruned_at).unwrap(),
        );
    }
    if let Some(possible) = case.runtime_pruning_possible {
        check(
            "runtime_pruning_possible",
            possible.into(),
            scan.runtime_pruning_possible.into(),
        );
    }
    found
}

fn parents(scans: &[PartitionScan]) -> Vec<&str> {
    scans.iter().map(|scan| scan.parent.as_str()).collect()
}

#[test]
fn partition_roll_ups_hold_on_every_server_version() {
    let text = fs::read_to_string("tests/rollups.toml").unwrap();
    let cases: Cases = toml::from_str(&text).unwrap_or_else(|e| panic!("tests/rollups.toml: {e}"));
    let (mut checked, mut failures) = (0, Vec::new());
    let mut majors = Vec::new();
    for capture in captures() {
        majors.push(capture.major);
        for case in &cases.case {
            if !case
                .versions
                .as_deref()
                .is_none_or(|versions| version_matches(versions, capture.major))
            {
                continue;
            }
            checked += 1;
            for difference in differences(case, &roll_ups(case, &capture)) {
                failures.push(format!(
                    "{} of PostgreSQL {} (catalog: {}, query: {}): {difference}",
                    case.plan, capture.major, case.catalog, case.query
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Each case on each version it holds on: 15 and the six others of the committed captures.
    assert!(
        checked > 100 || std::env::var_os("PLANLINT_FIXTURES_DIR").is_some(),
        "{checked}"
    );
    assert!(majors.contains(&15), "{majors:?}");
}

#[test]
fn version_conditions_read_as_the_capture_script_reads_them() {
    assert!(version_matches("12", 12) && !version_matches("12", 13));
    assert!(version_matches("12-13", 13) && !version_matches("12-13", 14));
    assert!(version_matches("17+", 18) && !version_matches("17+", 16));
}
