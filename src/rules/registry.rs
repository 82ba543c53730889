//! The rule registry: every rule's doc and check function, in code order.

use std::sync::OnceLock;

use super::context::{Context, Sink};
use super::doc::RuleDoc;
use super::settings::RuleSettings;
use super::{missing_index, never_true, seq_scan, unpruned_partitions};

/// A rule's check: reads the plan's facts and reports through the sink.
pub type Check = fn(&Context<'_>, &RuleSettings, &mut Sink<'_>);

/// Each rule's embedded doc and check. Add a rule here, in `rules/NAME.md`, and in
/// `src/rules/NAME.rs`; the meta-tests fail until all three exist with fixtures.
const TABLE: &[(&str, Check)] = &[
    (
        include_str!("../../rules/unpruned-partitions.md"),
        unpruned_partitions::check,
    ),
    (include_str!("../../rules/seq-scan.md"), seq_scan::check),
    (
        include_str!("../../rules/missing-index.md"),
        missing_index::check,
    ),
    (include_str!("../../rules/never-true.md"), never_true::check),
];

/// A registered rule.
#[derive(Debug)]
pub struct Rule {
    /// Its metadata and documentation.
    pub doc: RuleDoc,
    /// Its check function.
    pub check: Check,
}

/// Every rule, in the order of the table above.
pub fn rules() -> &'static [Rule] {
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    RULES.get_or_init(|| {
        TABLE
            .iter()
            .map(|&(text, check)| Rule {
                // The docs are compiled in and parsed by the registry tests; a broken one
                // cannot ship.
                doc: RuleDoc::parse(text)
                    .unwrap_or_else(|error| panic!("embedded rule doc: {error}")),
                check,
            })
            .collect()
    })
}

/// The rule with this name or code (`seq-scan` or `PL002`).
pub fn find_rule(name_or_code: &str) -> Option<&'static Rule> {
    rules().iter().find(|rule| {
        rule.doc.name == name_or_code || rule.doc.code.eq_ignore_ascii_case(name_or_code)
    })
}
