//! `unpruned-partitions`: a partitioned table scanned on every partition.

use super::context::{Context, Draft, Sink};
use super::settings::RuleSettings;
use crate::partitions::PartitionScan;

/// Flags partitioned-table scans where no phase pruned anything.
pub fn check(context: &Context<'_>, settings: &RuleSettings, sink: &mut Sink<'_>) {
    let min_partitions = settings.threshold("min_partitions");
    let min_empty_fraction = settings.threshold("min_empty_fraction");
    for scan in context.partitions {
        if !scan.unpruned()
            || scan.runtime_pruning_possible
            || (scan.partitions_in_plan as f64) < min_partitions
        {
            continue;
        }
        let in_plan = scan.partitions_in_plan;
        let empty = scan.empty_scans;
        if scan.partitions_total.is_none()
            && (empty == 0 || (empty as f64) < min_empty_fraction * in_plan as f64)
        {
            // Without the total, only needless scans show that pruning could have done more.
            continue;
        }
        let (message, severity) = match scan.partitions_total {
            Some(total) => (
                format!(
                    "scanned {} of {total} partitions of {}{}: nothing was pruned at plan time, start-up or run time",
                    scan.partitions_in_plan,
                    scan.parent,
                    scan.key_description().map(|key| format!(" ({key})")).unwrap_or_default()
                ),
                settings.severity,
            ),
            None => (
                format!(
                    "scanned all {in_plan} partitions of {} that the plan shows and {empty} of them {}; none was \
                     removed at start-up or run time, and the total is unknown (partitions pruned at plan time \
                     leave no trace in a plan)",
                    scan.parent,
                    if context.graph.node(scan.node_id).is_analyzed() {
                        "returned no rows"
                    } else {
                        "are estimated to return at most one row"
                    }
                ),
                settings.severity.lowered(),
            ),
        };
        let (message, suggestion) = match literal_pruning(context, scan) {
            Some(with_literals) => (
                format!("{message}; it prunes only with literal values: {with_literals}"),
                "The application's parameterised form cannot prune: compare the bare partition key with a \
                 parameter of the key's type, one parameter per value (`key IN ($1, $2)` prunes at start-up; \
                 `key = ANY($1)` with one array parameter does not on PostgreSQL 15)."
                    .to_owned(),
            ),
            None => (message, suggestion(scan)),
        };
        sink.report(Draft {
            node: scan.node_id,
            severity,
            relation: Some(scan.parent.clone()),
            message,
            suggestion,
            fix_sql: None,
        });
    }
}

/// How the same statement prunes when its parameter values are literals, when it does.
fn literal_pruning(context: &Context<'_>, scan: &PartitionScan) -> Option<String> {
    let literal = context
        .literal_partitions?
        .iter()
        .find(|literal| literal.parent == scan.parent);
    match literal {
        Some(literal) if !literal.unpruned() => Some(format!(
            "with its parameter values written into the query, the planner reads {}{}",
            literal.partitions_in_plan,
            literal
                .partitions_total
                .map(|total| format!(" of {total}"))
                .unwrap_or_default()
        )),
        Some(_) => None,
        // The custom plan reads no partition of this parent at all: pruned to nothing.
        None => Some(
            "with its parameter values written into the query, the planner prunes every partition"
                .to_owned(),
        ),
    }
}

fn suggestion(scan: &PartitionScan) -> String {
    match &scan.partition_key {
        Some(key) => format!(
            "Add a predicate on the partition key ({}) comparing the bare column with constants or parameters, \
             so the planner can skip partitions; if {} is mostly queried by other columns, index those on the \
             partitioned table (see missing-index) or reconsider the partition key.",
            key.columns.join(", "),
            scan.parent
        ),
        None => format!(
            "Add a predicate on the partition key of {}, comparing the bare key column with constants or parameters. \
             Pass a catalog snapshot (--catalog FILE; `planlint catalog --sql | psql -XAt -d DB > catalog.json` \
             writes one) to get the key and the exact partition count.",
            scan.parent
        ),
    }
}
