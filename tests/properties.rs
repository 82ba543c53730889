//! Property tests: no input makes planlint panic. Arbitrary bytes, arbitrary JSON, and real
//! plans and psql pastes mutated at random either analyse or fail with one line.

use std::sync::OnceLock;

use planlint::catalog::Catalog;
use planlint::rules::Config;
use proptest::prelude::*;
use proptest::strategy::ValueTree;

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let text = std::fs::read_to_string("tests/fixtures/catalog.json").unwrap();
        Catalog::from_json("catalog.json", &text).unwrap()
    })
}

/// Real inputs to mutate: plans with and without ANALYZE, and psql pastes.
fn samples() -> &'static [String] {
    static SAMPLES: OnceLock<Vec<String>> = OnceLock::new();
    SAMPLES.get_or_init(|| {
        [
            "tests/fixtures/plans/orders_by_customer_all_partitions.json",
            "tests/fixtures/plans/customers_orders_nested_loop_runtime_pruning.analyze.json",
            "tests/fixtures/plans/orders_generic_plan_startup_pruning.json",
            "tests/fixtures/plans/sales_amount_unpruned.analyze.json",
            "tests/fixtures/paste/orders_by_customer.aligned.txt",
            "tests/fixtures/paste/orders_by_customer.csv",
            "tests/fixtures/paste/orders_by_customer.expanded.txt",
            "tests/fixtures/paste/orders_by_customer.text.analyze_echoed.txt",
            "tests/fixtures/paste/orders_by_customer.text.wrapped_unicode_border2.txt",
            "tests/fixtures/plans/prune_subquery_initplan_runtime.analyze.txt",
            "tests/fixtures/plans/orders_by_customer_all_options.analyze.txt",
            "tests/fixtures/plans/customers_orders_join_unindexed_key.yaml",
            "tests/fixtures/plans/customers_orders_join_unindexed_key.xml",
        ]
        .iter()
        .map(|path| std::fs::read_to_string(path).unwrap())
        .collect()
    })
}

/// Bare text-format captures, with and without ANALYZE, with subplans and every option.
fn text_plans() -> &'static [String] {
    static PLANS: OnceLock<Vec<String>> = OnceLock::new();
    PLANS.get_or_init(|| {
        [
            "tests/fixtures/plans/orders_by_customer_all_options.analyze.txt",
            "tests/fixtures/plans/prune_subquery_initplan_runtime.analyze.txt",
            "tests/fixtures/plans/customers_orders_join_unindexed_key.txt",
            "tests/fixtures/plans/union_all_customers_products.analyze.txt",
        ]
        .iter()
        .map(|path| std::fs::read_to_string(path).unwrap())
        .collect()
    })
}

/// The path of every node of the plans in `text`, or the error.
fn node_labels(text: &str) -> Result<Vec<String>, String> {
    let plans = planlint::source::load_str("input", text).map_err(|error| error.to_string())?;
    Ok(plans
        .iter()
        .flat_map(|plan| plan.graph.ids().map(|id| plan.graph.path(id)))
        .collect())
}

/// Loads and, when that works, analyses `text` with and without the catalog; an error must be
/// one line.
fn check_never_panics(text: &str) {
    match planlint::source::load_str("input", text) {
        Ok(plans) => {
            let config = Config::default();
            for plan in &plans {
                planlint::analyze(plan, None, &config);
                planlint::analyze(plan, Some(catalog()), &config);
            }
        }
        Err(error) => {
            let line = error.to_string();
            assert!(!line.contains('\n'), "more than one line: {line:?}");
            assert!(
                line.starts_with("input"),
                "does not name the input: {line:?}"
            );
        }
    }
}

/// A mutation of a text: replace, insert or delete a run of bytes, or cut it short.
#[derive(Debug, Clone)]
enum Mutation {
    Replace(usize, Vec<u8>),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let bytes = prop::collection::vec(
        prop_oneof![
            Just(b'{'),
            Just(b'}'),
            Just(b'['),
            Just(b']'),
            Just(b'"'),
            Just(b','),
            Just(b':'),
            Just(b'+'),
            Just(b'\n'),
            Just(b' '),
            Just(b'\t'),
            Just(b'('),
            Just(b')'),
            Just(b'='),
            Just(b'-'),
            Just(b'>'),
            Just(b'<'),
            any::<u8>()
        ],
        1..8,
    );
    prop_oneof![
        (any::<usize>(), bytes.clone()).prop_map(|(at, bytes)| Mutation::Replace(at, bytes)),
        (any::<usize>(), bytes).prop_map(|(at, bytes)| Mutation::Insert(at, bytes)),
        (any::<usize>(), 1..64usize).prop_map(|(at, len)| Mutation::Delete(at, len)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn apply(text: &str, mutations: &[Mutation]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for mutation in mutations {
        let len = bytes.len().max(1);
        match mutation {
            Mutation::Replace(at, new) => {
                let at = at % len;
                for (offset, byte) in new.iter().enumerate() {
                    if let Some(slot) = bytes.get_mut(at + offset) {
                        *slot = *byte;
                    }
                }
            }
            Mutation::Insert(at, new) => {
                let at = (at % len).min(bytes.len());
                bytes.splice(at..at, new.iter().copied());
            }
            Mutation::Delete(at, count) => {
                let at = (at % len).min(bytes.len());
                let end = (at + count).min(bytes.len());
                bytes.drain(at..end);
            }
            Mutation::Truncate(at) => bytes.truncate(at % len),
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Arbitrary JSON, nested a few levels, with plan-like keys now and then.
fn json() -> impl Strategy<Value = serde_json::Value> {
    let key = prop_oneof![
        Just("Plan".to_owned()),
        Just("Plans".to_owned()),
        Just("Node Type".to_owned()),
        Just("Relation Name".to_owned()),
        Just("Alias".to_owned()),
        Just("Filter".to_owned()),
        Just("Actual Loops".to_owned()),
        Just("Subplans Removed".to_owned()),
        Just("Parent Relationship".to_owned()),
        "[a-zA-Z ]{0,12}",
    ];
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        prop_oneof![
            Just("Append".to_owned()),
            Just("Seq Scan".to_owned()),
            Just("Member".to_owned()),
            ".{0,16}"
        ]
        .prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(6, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            prop::collection::btree_map(key.clone(), inner, 0..6)
                .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        check_never_panics(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn arbitrary_json_never_panics(value in json()) {
        check_never_panics(&value.to_string());
        check_never_panics(&format!("[{{\"Plan\": {value}}}]"));
    }

    /// The lexer that finds the functions a statement calls (before `--analyze` runs it) reads
    /// any mix of quotes, comments and parentheses without panicking.
    #[test]
    fn function_calls_are_read_from_any_text(text in "[a-zE_ ()'\"$,.:;\\\\/*=é€-]{0,80}") {
        let mut calls = planlint::sql::Calls::default();
        calls.scan(&text);
        prop_assert!(calls.functions.iter().all(|call| !call.name.is_empty() || text.contains("\"\"")));
    }

    /// A text plan reads the same whatever its margin and however its indentation mixes
    /// tabs and spaces (a tab to the next multiple of 8), and cut at any point it still reads
    /// as a part of the plan, or fails with one line.
    #[test]
    fn text_plans_read_the_same_with_any_margin_and_tabs_and_cut_anywhere(
        fixture in 0..4usize,
        margin in 0..12usize,
        cut in any::<prop::sample::Index>(),
    ) {
        let text = &text_plans()[fixture];
        let expected = node_labels(text).expect("the capture reads");
        let tabbed: String = text
            .lines()
            .map(|line| {
                let shifted = format!("{}{line}", " ".repeat(margin));
                let spaces = shifted.len() - shifted.trim_start_matches(' ').len();
                format!("{}{}{}\n", "\t".repeat(spaces / 8), " ".repeat(spaces % 8), shifted.trim_start_matches(' '))
            })
            .collect();
        prop_assert_eq!(node_labels(&tabbed).expect("the tabbed text reads"), expected.clone());
        let cut_at = cut.index(text.len() + 1);
        if let Some(prefix) = text.get(..cut_at) {
            check_never_panics(prefix);
            if let Ok(labels) = node_labels(prefix) {
                prop_assert!(labels.len() <= expected.len());
                prop_assert!(labels.iter().zip(&expected).all(|(got, want)| want.starts_with(got.as_str()) || got == want));
            }
        }
    }

    #[test]
    fn mutated_real_plans_and_pastes_never_panic(
        sample in 0..13usize,
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        check_never_panics(&apply(&samples()[sample], &mutations));
    }
}

#[test]
fn mutated_plans_through_the_binary_exit_0_1_or_2_with_one_line_errors() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = (0..13usize, prop::collection::vec(mutation(), 1..4));
    for _ in 0..12 {
        let (sample, mutations) = strategy.new_tree(&mut runner).unwrap().current();
        let input = apply(&samples()[sample], &mutations);
        let output = assert_cmd::Command::cargo_bin("planlint")
            .unwrap()
            .args(["analyze", "--format", "json", "-"])
            .write_stdin(input)
            .output()
            .unwrap();
        let code = output.status.code().expect("exited, not killed");
        assert!((0..=2).contains(&code), "exit code {code}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        if code == 2 {
            assert_eq!(stderr.lines().count(), 1, "{stderr}");
        }
        serde_json::from_slice::<serde_json::Value>(&output.stdout).expect("stdout stays JSON");
    }
}
