//! `unpruned-partitions`: a partitioned table scanned on every partition.

use super::context::{Context, Draft, Sink};
use super::settings::RuleSettings;
use crate::partitions::PartitionScan;
use crate::sql::pruning::{
    diagnose_filters, diagnose_query, pruning_disabled, sentence, CauseKind, Diagnosis, KeyFacts,
};

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
        let diagnosis = diagnose(context, scan);
        let (message, suggestion) = match literal_pruning(context, scan) {
            Some(with_literals) => (
                format!("{message}; it prunes only with literal values: {with_literals}"),
                "The application's parameterised form cannot prune: compare the bare partition key with a \
                 parameter of the key's type, one parameter per value (`key IN ($1, $2)` prunes at start-up; \
                 `key = ANY($1)` with one array parameter does not on PostgreSQL 15)."
                    .to_owned(),
            ),
            None => (message, suggestion(scan, diagnosis.as_ref(), context.query.is_some())),
        };
        sink.report(Draft {
            node: scan.node_id,
            severity,
            relation: Some(scan.parent.clone()),
            message,
            suggestion,
            fix_sql: None,
            diagnosis,
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

/// Why the scan was not pruned: `enable_partition_pruning` from the plan's settings, else the
/// query's predicates on the key, else the partition scans' filters.
fn diagnose(context: &Context<'_>, scan: &PartitionScan) -> Option<Diagnosis> {
    if pruning_disabled(&context.explain.settings) {
        return Some(Diagnosis {
            kind: CauseKind::PruningDisabled,
            cause: sentence(CauseKind::PruningDisabled, "", &KeyFacts::default()),
            rewrite_sql: None,
        });
    }
    let key = scan.partition_key.as_ref()?;
    let column = key.columns.first()?.clone();
    let type_name = context
        .catalog
        .and_then(|catalog| catalog.find(scan.parent_schema.as_deref(), &scan.parent))
        .and_then(|table| table.columns.iter().find(|c| c.name == column))
        .map(|c| c.type_name.clone());
    let facts = KeyFacts {
        column,
        strategy: key.strategy.clone(),
        type_name,
    };
    let from_query = context
        .query
        .and_then(|query| diagnose_query(query, &scan.parent, &facts));
    from_query.or_else(|| {
        let first = context.graph.node(*scan.scans.first()?);
        let filters: Vec<&str> = [&first.filter, &first.index_cond, &first.recheck_cond]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        diagnose_filters(&filters, &facts)
    })
}

fn suggestion(scan: &PartitionScan, diagnosis: Option<&Diagnosis>, query_known: bool) -> String {
    let ask_for_query = if query_known {
        ""
    } else {
        " Pass the statement (--query FILE) to get it rewritten."
    };
    match diagnosis.map(|diagnosis| (diagnosis.kind, diagnosis.rewrite_sql.is_some())) {
        Some((_, true)) => "Compare the bare partition key instead, as rewrite_sql does; then the planner prunes.".to_owned(),
        Some((CauseKind::PruningDisabled, _)) => "Turn enable_partition_pruning back on (RESET enable_partition_pruning, \
                                                  or remove it from the role, database or postgresql.conf)."
            .to_owned(),
        Some((CauseKind::FunctionOnKey | CauseKind::CastOnKey | CauseKind::TypeMismatch, false)) => format!(
            "Compare the bare partition key with values of its own type, with no function or cast around the key.{ask_for_query}"
        ),
        Some(_) => base_suggestion(scan),
        None if scan.partition_key.is_some() => format!("{}{ask_for_query}", base_suggestion(scan)),
        None => base_suggestion(scan),
    }
}

fn base_suggestion(scan: &PartitionScan) -> String {
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
