//! The JSON report: a stable, documented shape (see the README).

use serde::Serialize;

use super::{InputFailure, Summary};
use crate::partitions::{ParentSource, PartitionScan, PruningPhase};
use crate::rules::Finding;
use crate::workload::Workload;
use crate::AnalyzedPlan;

/// The version of the JSON shape; it changes only when a field changes meaning or goes away.
pub const JSON_FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    format_version: u32,
    planlint_version: &'static str,
    results: Vec<PlanResult<'a>>,
    errors: Vec<ErrorEntry<'a>>,
    summary: SummaryEntry,
}

#[derive(Serialize)]
struct PlanResult<'a> {
    source: &'a str,
    plan: usize,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    workload: Option<&'a Workload>,
    partitions: Vec<PartitionEntry<'a>>,
    findings: &'a [Finding],
}

#[derive(Serialize)]
struct PartitionEntry<'a> {
    parent: &'a str,
    schema: Option<&'a str>,
    parent_source: ParentSource,
    strategy: Option<&'a str>,
    key: Option<&'a [String]>,
    node_id: usize,
    node_path: String,
    partitions_in_plan: usize,
    partitions_total: Option<usize>,
    removed_at_startup: u64,
    never_executed: usize,
    default_partition_scanned: Option<bool>,
    pruned_at: &'a [PruningPhase],
}

#[derive(Serialize)]
struct ErrorEntry<'a> {
    source: &'a str,
    kind: &'a str,
    message: &'a str,
}

#[derive(Serialize)]
struct SummaryEntry {
    plans: usize,
    findings: SeverityCounts,
    failed_inputs: usize,
    refused: usize,
    timed_out: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    time_with_findings: Option<f64>,
}

#[derive(Serialize)]
struct SeverityCounts {
    error: usize,
    warning: usize,
    info: usize,
}

fn partition_entry<'a>(plan: &'a AnalyzedPlan, scan: &'a PartitionScan) -> PartitionEntry<'a> {
    PartitionEntry {
        parent: &scan.parent,
        schema: scan.parent_schema.as_deref(),
        parent_source: scan.parent_source,
        strategy: scan.partition_key.as_ref().map(|key| key.strategy.as_str()),
        key: scan
            .partition_key
            .as_ref()
            .map(|key| key.columns.as_slice()),
        node_id: scan.node_id.index(),
        node_path: plan.explain.graph.path(scan.node_id),
        partitions_in_plan: scan.partitions_in_plan,
        partitions_total: scan.partitions_total,
        removed_at_startup: scan.removed_at_startup,
        never_executed: scan.never_executed,
        default_partition_scanned: scan.partitions_total.map(|_| scan.default_in_plan),
        pruned_at: &scan.pruned_at,
    }
}

/// Renders the analysed plans and failed inputs as one JSON document.
pub fn render_json(plans: &[AnalyzedPlan], failures: &[InputFailure]) -> String {
    let summary = Summary::of(plans, failures);
    let document = Document {
        format_version: JSON_FORMAT_VERSION,
        planlint_version: env!("CARGO_PKG_VERSION"),
        results: plans
            .iter()
            .map(|plan| PlanResult {
                source: &plan.source,
                plan: plan.plan_number,
                workload: plan.workload.as_ref(),
                partitions: plan
                    .analysis
                    .partitions
                    .iter()
                    .map(|scan| partition_entry(plan, scan))
                    .collect(),
                findings: &plan.analysis.findings,
            })
            .collect(),
        errors: failures
            .iter()
            .map(|failure| ErrorEntry {
                source: &failure.source,
                kind: &failure.kind,
                message: &failure.message,
            })
            .collect(),
        summary: SummaryEntry {
            plans: summary.plans,
            findings: SeverityCounts {
                error: summary.errors,
                warning: summary.warnings,
                info: summary.infos,
            },
            failed_inputs: summary.failed_inputs,
            refused: summary.refused,
            timed_out: summary.timed_out,
            time_with_findings: summary.time_with_findings,
        },
    };
    let mut text = serde_json::to_string_pretty(&document).expect("report serializes");
    text.push('\n');
    text
}
