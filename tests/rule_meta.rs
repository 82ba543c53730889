//! Meta-tests that keep the rule set honest: every rule has a complete doc in `rules/`, a case
//! file in `tests/rules/` with failing and passing captured plans, and behaves as its cases say.
//!
//! Every case runs on every server version's capture (tests/common/captures.rs): 15's flat
//! fixtures and each `tests/fixtures/plans/<major>/`, with that version's catalog; a case with
//! `versions` runs on those versions only, where another version legitimately plans otherwise.
//!
//! `PLANLINT_FIXTURES_DIR` points the cases at another capture (CI re-captures the fixtures
//! from its own PostgreSQL and runs the cases on them too).

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use planlint::catalog::Catalog;
use planlint::plan::parse_plans;
use planlint::rules::{rules, Config, Finding, SECTIONS};

mod common;
use common::captures::{captures, version_matches, Capture};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Cases {
    #[serde(default)]
    fail: Vec<Case>,
    #[serde(default)]
    pass: Vec<Case>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    plan: String,
    catalog: bool,
    /// Analyse with the plan's statement (the captured NAME.sql next to the plan).
    #[serde(default)]
    query: bool,
    message: Option<String>,
    fix_sql: Option<String>,
    severity: Option<String>,
    cause_kind: Option<String>,
    /// Words the finding's cause (its `why`) must hold.
    cause: Option<String>,
    rewrite_sql: Option<String>,
    /// The server versions the case holds on (`12`, `12-13`, `17+`); every version when absent.
    versions: Option<String>,
}

fn catalog(capture: &Capture) -> Catalog {
    let path = capture.catalog.to_string_lossy();
    let text = fs::read_to_string(&capture.catalog).unwrap_or_else(|e| panic!("{path}: {e}"));
    Catalog::from_json(&path, &text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn findings_of(rule: &str, case: &Case, capture: &Capture, catalog: &Catalog) -> Vec<Finding> {
    let path = capture.plans.join(&case.plan);
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let explains = parse_plans(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let query = case.query.then(|| {
        let stem = case
            .plan
            .trim_end_matches(".json")
            .trim_end_matches(".analyze");
        let sql_path = capture.plans.join(format!("{stem}.sql"));
        fs::read_to_string(&sql_path).unwrap_or_else(|e| panic!("{}: {e}", sql_path.display()))
    });
    let config = Config::default();
    let catalog = case.catalog.then_some(catalog);
    explains
        .iter()
        .flat_map(|explain| match &query {
            Some(query) => planlint::analyze_query(explain, query, catalog, &config).findings,
            None => planlint::analyze(explain, catalog, &config).findings,
        })
        .filter(|finding| finding.rule == rule)
        .collect()
}

#[test]
fn every_rule_has_a_complete_doc() {
    let mut codes = BTreeSet::new();
    for rule in rules() {
        let doc = &rule.doc;
        assert!(
            codes.insert(doc.code.clone()),
            "code {} is used twice",
            doc.code
        );
        assert!(
            doc.code.len() == 5
                && doc.code.starts_with("PL")
                && doc.code[2..].bytes().all(|b| b.is_ascii_digit()),
            "code {} is not PLnnn",
            doc.code
        );
        assert!(
            doc.name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'-'),
            "{} is not kebab-case",
            doc.name
        );
        assert!(
            Path::new(&format!("rules/{}.md", doc.name)).exists(),
            "rules/{}.md is missing",
            doc.name
        );
        assert!(!doc.summary.is_empty(), "{} has no summary", doc.name);
        for heading in SECTIONS {
            let section = doc
                .section(heading)
                .unwrap_or_else(|| panic!("{} lacks ## {heading}", doc.name));
            assert!(!section.is_empty(), "{}: ## {heading} is empty", doc.name);
        }
        let thresholds = doc.section("Thresholds").unwrap_or_default();
        for key in doc.thresholds.keys() {
            assert!(
                thresholds.contains(&format!("`{key}`")),
                "{}: threshold {key} is not documented",
                doc.name
            );
        }
    }
}

#[test]
fn every_doc_belongs_to_a_registered_rule() {
    let names: BTreeSet<String> = rules().iter().map(|rule| rule.doc.name.clone()).collect();
    for entry in fs::read_dir("rules").expect("rules/ folder") {
        let path = entry.expect("dir entry").path();
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        assert!(
            names.contains(&stem),
            "{} has no rule in the registry",
            path.display()
        );
    }
}

#[test]
fn every_rule_fires_on_its_failing_cases_and_not_on_its_passing_ones() {
    let (mut checked, mut failures) = (0, Vec::new());
    for capture in captures() {
        let catalog = catalog(&capture);
        checked += check_cases(&capture, &catalog, &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(checked > 500, "{checked} cases checked");
}

/// Checks every rule's cases that hold on `capture`'s version, adding a message to `failures`
/// for each that does not hold; returns how many it checked.
fn check_cases(capture: &Capture, catalog: &Catalog, failures: &mut Vec<String>) -> usize {
    let on_version = |case: &&Case| {
        case.versions
            .as_deref()
            .is_none_or(|versions| version_matches(versions, capture.major))
    };
    let mut checked = 0;
    for rule in rules() {
        let name = &rule.doc.name;
        let path = format!("tests/rules/{name}.toml");
        let text = fs::read_to_string(&path).unwrap_or_else(|_| panic!("{path} is missing"));
        let cases: Cases = toml::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(!cases.fail.is_empty(), "{path} has no [[fail]] case");
        assert!(!cases.pass.is_empty(), "{path} has no [[pass]] case");
        for case in cases.fail.iter().filter(on_version) {
            checked += 1;
            let found = findings_of(name, case, capture, catalog);
            let label = format!(
                "{name} on {} of PostgreSQL {} (catalog: {})",
                case.plan, capture.major, case.catalog
            );
            if found.is_empty() {
                failures.push(format!("{label}: expected a finding, got none"));
                continue;
            }
            let matching: Vec<&Finding> = found
                .iter()
                .filter(|f| {
                    case.message
                        .as_ref()
                        .is_none_or(|m| f.message.contains(m.as_str()))
                })
                .filter(|f| {
                    case.fix_sql.as_ref().is_none_or(|sql| {
                        f.fix_sql
                            .as_deref()
                            .unwrap_or_default()
                            .contains(sql.as_str())
                    })
                })
                .filter(|f| {
                    case.severity
                        .as_ref()
                        .is_none_or(|s| f.severity.as_str() == s)
                })
                .filter(|f| {
                    case.cause_kind.as_ref().is_none_or(|kind| {
                        f.cause_kind
                            .is_some_and(|k| serde_json::to_value(k).unwrap() == kind.as_str())
                    })
                })
                .filter(|f| {
                    case.cause.as_ref().is_none_or(|words| {
                        f.cause
                            .as_deref()
                            .unwrap_or_default()
                            .contains(words.as_str())
                    })
                })
                .filter(|f| {
                    case.rewrite_sql.as_ref().is_none_or(|sql| {
                        f.rewrite_sql
                            .as_deref()
                            .unwrap_or_default()
                            .contains(sql.as_str())
                    })
                })
                .collect();
            if matching.is_empty() {
                failures.push(format!(
                    "{label}: no finding matches the case; found {found:#?}"
                ));
            }
        }
        for case in cases.pass.iter().filter(on_version) {
            checked += 1;
            let found = findings_of(name, case, capture, catalog);
            if !found.is_empty() {
                failures.push(format!(
                    "{name} on {} of PostgreSQL {} (catalog: {}): expected none, got {found:#?}",
                    case.plan, capture.major, case.catalog
                ));
            }
        }
    }
    checked
}

#[test]
fn every_threshold_can_be_overridden_and_unknown_ones_are_refused() {
    let mut config = Config::default();
    for rule in rules() {
        for key in rule.doc.thresholds.keys() {
            config
                .set_threshold(&format!("{}.{key}=7", rule.doc.name))
                .expect("known threshold");
            assert_eq!(config.rule(&rule.doc.name).unwrap().threshold(key), 7.0);
        }
    }
    assert!(config
        .set_threshold("seq-scan.no_such=1")
        .unwrap_err()
        .contains("no threshold \"no_such\""));
    assert!(config
        .set_threshold("nope.min_rows=1")
        .unwrap_err()
        .contains("no rule named"));
    assert!(config.set_threshold("seq-scan.min_rows=-3").is_err());
}
