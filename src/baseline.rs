//! Baselines: today's findings recorded, so later runs fail only on new ones. This is how a team
//! adopts planlint on an old code base.
//!
//! A finding is keyed by its rule and a fingerprint of the statement (its text with white space
//! folded, so it survives line moves and reformatting) or, without one, the plan file, and of
//! the plan's shape at the finding (the node types from the root to the node, so partitions
//! added next month do not change it).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::fingerprint::fnv1a;
use crate::plan::NodeId;
use crate::rules::Finding;
use crate::AnalyzedPlan;

/// The baseline file's format version.
const FORMAT_VERSION: u64 = 1;

#[derive(Serialize, Deserialize)]
struct Document {
    planlint_baseline: u64,
    findings: Vec<Entry>,
}

#[derive(Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Clone)]
struct Entry {
    rule: String,
    fingerprint: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    message: String,
}

/// The findings a baseline accepts.
#[derive(Debug, Default)]
pub struct Baseline {
    keys: BTreeSet<(String, String)>,
}

/// The finding's fingerprint within its plan.
pub fn fingerprint(plan: &AnalyzedPlan, finding: &Finding) -> String {
    let identity = match &plan.statement {
        Some(statement) => statement
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase(),
        None => {
            let file = plan
                .location
                .as_ref()
                .map_or(plan.source.as_str(), |location| location.path.as_str());
            format!("{file}#{}", plan.plan_number)
        }
    };
    let graph = &plan.explain.graph;
    let node = NodeId::new(finding.node_id.min(graph.len().saturating_sub(1)));
    let mut shape: Vec<&str> = graph
        .ancestors(node)
        .map(|id| graph.node(id).node_type.as_ref())
        .collect();
    shape.reverse();
    shape.push(graph.node(node).node_type.as_ref());
    let relation = finding.relation.as_deref().unwrap_or_default();
    let fields = [
        finding.rule.as_str(),
        identity.as_str(),
        relation,
        &shape.join(">"),
    ];
    let hash = fnv1a(fields.iter().flat_map(|field| field.bytes().chain([0xff])));
    format!("{hash:016x}")
}

impl Baseline {
    /// Records every finding of `plans`, as JSON.
    pub fn record(plans: &[AnalyzedPlan]) -> String {
        let mut findings: Vec<Entry> = plans
            .iter()
            .flat_map(|plan| {
                plan.analysis.findings.iter().map(move |finding| Entry {
                    rule: finding.rule.clone(),
                    fingerprint: fingerprint(plan, finding),
                    source: plan.source.clone(),
                    message: finding.message.clone(),
                })
            })
            .collect();
        findings.sort();
        findings.dedup();
        let document = Document {
            planlint_baseline: FORMAT_VERSION,
            findings,
        };
        let mut text = serde_json::to_string_pretty(&document).expect("baseline serializes");
        text.push('\n');
        text
    }

    /// Reads a baseline file; `name` is used in errors.
    pub fn from_json(name: &str, text: &str) -> Result<Self, String> {
        let document: Document = serde_json::from_str(text).map_err(|error| {
            format!(
                "{name}:{}:{}: not a planlint baseline: {error}",
                error.line(),
                error.column()
            )
        })?;
        if document.planlint_baseline != FORMAT_VERSION {
            return Err(format!(
                "{name}: baseline format {} is not supported",
                document.planlint_baseline
            ));
        }
        Ok(Self {
            keys: document
                .findings
                .into_iter()
                .map(|entry| (entry.rule, entry.fingerprint))
                .collect(),
        })
    }

    /// Removes the findings the baseline accepts; returns how many were removed.
    pub fn filter(&self, plans: &mut [AnalyzedPlan]) -> usize {
        let mut removed = 0;
        for plan in plans.iter_mut() {
            let known: Vec<bool> = plan
                .analysis
                .findings
                .iter()
                .map(|finding| {
                    self.keys
                        .contains(&(finding.rule.clone(), fingerprint(plan, finding)))
                })
                .collect();
            removed += known.iter().filter(|&&known| known).count();
            let mut flags = known.into_iter();
            plan.analysis
                .findings
                .retain(|_| !flags.next().unwrap_or(false));
        }
        removed
    }
}
