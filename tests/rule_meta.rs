//! Meta-tests that keep the rule set honest: every rule has a complete doc in `rules/`, a case
//! file in `tests/rules/` with failing and passing captured plans, and behaves as its cases say.
//!
//! `PLANLINT_FIXTURES_DIR` points the cases at another capture (CI re-captures the fixtures
//! from its own PostgreSQL and runs the cases on them too).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use planlint::catalog::Catalog;
use planlint::plan::parse_plans;
use planlint::rules::{rules, Config, Finding, SECTIONS};

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
}

fn fixtures_dir() -> PathBuf {
    std::env::var_os("PLANLINT_FIXTURES_DIR")
        .map_or_else(|| PathBuf::from("tests/fixtures"), PathBuf::from)
}

fn catalog() -> Catalog {
    let text = fs::read_to_string(fixtures_dir().join("catalog.json")).expect("catalog fixture");
    Catalog::from_json("catalog.json", &text).expect("catalog fixture parses")
}

fn findings_of(rule: &str, case: &Case, catalog: &Catalog) -> Vec<Finding> {
    let path = fixtures_dir().join("plans").join(&case.plan);
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let explains = parse_plans(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let query = case.query.then(|| {
        let stem = case
            .plan
            .trim_end_matches(".json")
            .trim_end_matches(".analyze");
        let sql_path = fixtures_dir().join("plans").join(format!("{stem}.sql"));
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
    let catalog = catalog();
    for rule in rules() {
        let name = &rule.doc.name;
        let path = format!("tests/rules/{name}.toml");
        let text = fs::read_to_string(&path).unwrap_or_else(|_| panic!("{path} is missing"));
        let cases: Cases = toml::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(!cases.fail.is_empty(), "{path} has no [[fail]] case");
        assert!(!cases.pass.is_empty(), "{path} has no [[pass]] case");
        for case in &cases.fail {
            let found = findings_of(name, case, &catalog);
            let label = format!("{name} on {} (catalog: {})", case.plan, case.catalog);
            assert!(!found.is_empty(), "{label}: expected a finding, got none");
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
            assert!(
                !matching.is_empty(),
                "{label}: no finding matches the case; found {found:#?}"
            );
        }
        for case in &cases.pass {
            let found = findings_of(name, case, &catalog);
            assert!(
                found.is_empty(),
                "{name} on {} (catalog: {}): expected none, got {found:#?}",
                case.plan,
                case.catalog
            );
        }
    }
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
