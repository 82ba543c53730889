//! The rule engine: a registry of rules, each in its own file with its doc in `rules/`.

mod context;
mod doc;
mod finding;
mod join_keys;
mod missing_index;
mod never_true;
mod primary;
mod registry;
mod seq_scan;
mod settings;
mod sites;
mod unpruned_partitions;

pub use context::{Context, Draft, Sink};
pub use doc::{RuleDoc, SECTIONS};
pub use finding::{Finding, Severity, Verified, VerifyMethod};
pub use registry::{find_rule, rules, Check, Rule};
pub use settings::{Config, RuleSettings};
pub use sites::{scan_sites, ScanSite};

/// Runs every rule over one plan's facts; findings come out in node order, most severe first
/// at each node, where the finding that holds the fix outranks the symptoms.
pub fn run_rules(context: &Context<'_>, config: &Config) -> Vec<Finding> {
    let mut findings = Vec::new();
    for rule in rules() {
        let Some(settings) = config.rule(&rule.doc.name) else {
            continue;
        };
        let mut sink = Sink::new(&rule.doc, context.graph, &mut findings);
        (rule.check)(context, settings, &mut sink);
    }
    findings.sort_by_key(|finding| finding.node_id);
    primary::rank(&mut findings);
    findings.sort_by(|a, b| a.node_id.cmp(&b.node_id).then(b.severity.cmp(&a.severity)));
    findings
}
