//! `unpruned-partitions`: a partitioned table scanned on every partition (or, for range
//! partitioning, on its default partition when the explicit ones would do).

use super::context::{Context, Draft, Sink};
use super::finding::Severity;
use super::settings::RuleSettings;
use crate::partitions::{PartitionScan, PruningPhase};
use crate::plan::Relationship;
use crate::sql::pruning::{
    diagnose_filters, diagnose_statements, join_column_tail, listed_values, prunes_on_parameter,
    pruning_disabled, sentence, wrapped_column, CauseKind, Diagnosis, KeyFacts, JOIN_COLUMN_TAIL,
};

/// Flags partitioned-table scans where no phase pruned anything.
pub fn check(context: &Context<'_>, settings: &RuleSettings, sink: &mut Sink<'_>) {
    let min_partitions = settings.threshold("min_partitions");
    let min_empty_fraction = settings.threshold("min_empty_fraction");
    for scan in context.partitions {
        if pruned_only_at_startup(context, scan) {
            report_startup_pruning(context, scan, sink);
            continue;
        }
        if reads_default_needlessly(scan) {
            report_default_partition(context, settings, scan, sink);
            continue;
        }
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
            // Without the total, only needless scans show that pruning could have done more,
            // unless every partition's filter wraps the same column: likely the key.
            if let Some(inference) = wrapped_key_inference(context, scan) {
                report_inference(context, settings, scan, inference, sink);
            }
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
        if diagnosis.is_none() && startup_pruning_unshown(context, scan) {
            report_unshown_startup_pruning(scan, sink);
            continue;
        }
        if probed_cheaply(context, settings, scan, diagnosis.as_ref()) {
            report_cheap_probes(scan, message, diagnosis, sink);
            continue;
        }
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

/// What the plan shows of a probable cause without a catalog: the column every partition's
/// filter wraps in a function or cast, and one such comparison.
struct WrappedKey {
    column: String,
    comparison: String,
}

/// The column every partition scan's filter wraps in a function or cast, the same one in all.
fn wrapped_key_inference(context: &Context<'_>, scan: &PartitionScan) -> Option<WrappedKey> {
    let mut found: Option<WrappedKey> = None;
    for &id in &scan.scans {
        let filter = context.graph.node(id).filter.as_deref()?;
        let (column, comparison) = wrapped_column(filter)?;
        match &found {
            Some(known) if known.column != column => return None,
            Some(_) => {}
            None => found = Some(WrappedKey { column, comparison }),
        }
    }
    found
}

/// Without a catalog: every partition read, each filter wrapping the same column in a function.
/// Worded as what it is, an inference; with the statement, the rewrite on the bare column (which
/// returns the same rows whichever column the key is).
fn report_inference(
    context: &Context<'_>,
    settings: &RuleSettings,
    scan: &PartitionScan,
    inference: WrappedKey,
    sink: &mut Sink<'_>,
) {
    let column = inference.column.clone();
    let diagnosis = inferred_diagnosis(context, scan, inference);
    let rewrite_sql = diagnosis.rewrite_sql.clone();
    sink.report(Draft {
        node: scan.node_id,
        severity: settings.severity.lowered(),
        relation: Some(scan.parent.clone()),
        message: format!(
            "scanned all {} partitions of {} that the plan shows, none removed at start-up or run time, and every \
             one's filter wraps {column} in a function or cast; the total is unknown (partitions pruned at plan \
             time leave no trace in a plan)",
            scan.partitions_in_plan, scan.parent
        ),
        suggestion: format!(
            "If {column} is the partition key of {}, compare the bare column instead{}. Pass a catalog snapshot \
             (--catalog FILE) to know the key and the exact count.",
            scan.parent,
            if rewrite_sql.is_some() {
                ", as rewrite_sql does (it returns the same rows)"
            } else {
                ""
            }
        ),
        fix_sql: None,
        diagnosis: Some(diagnosis),
    });
}

/// The cause a catalog-less plan suggests, worded as the inference it is; with the statement,
/// the rewrite on the bare column (which returns the same rows whichever column the key is).
fn inferred_diagnosis(
    context: &Context<'_>,
    scan: &PartitionScan,
    inference: WrappedKey,
) -> Diagnosis {
    let WrappedKey { column, comparison } = inference;
    let facts = KeyFacts {
        column: column.clone(),
        strategy: "range".to_owned(),
        type_name: None,
        list_values: None,
    };
    let rewrite_sql = context
        .statements()
        .and_then(|statements| diagnose_statements(statements, &scan.parent, &facts))
        .and_then(|diagnosis| diagnosis.rewrite_sql);
    Diagnosis {
        kind: CauseKind::FunctionOnKey,
        cause: format!(
            "likely: every partition compares {column} through a function or cast, {comparison}; if {column} is the \
             partition key, that keeps the planner from pruning, since it compares only the bare key with the \
             partition bounds (an inference: the plan does not name the key)"
        ),
        rewrite_sql,
    }
}

/// A query with no reason to name the key (it has no predicate on it, or ORs one with a
/// predicate on another column, which every partition may match) whose every partition is
/// probed through an index, on few enough partitions that probing each costs little: what is
/// left to pay is planning and locking each partition, which grows with their number.
fn probed_cheaply(
    context: &Context<'_>,
    settings: &RuleSettings,
    scan: &PartitionScan,
    diagnosis: Option<&Diagnosis>,
) -> bool {
    scan.partitions_total.is_some()
        && diagnosis.is_none_or(|diagnosis| {
            matches!(
                diagnosis.kind,
                CauseKind::NoKeyPredicate | CauseKind::OrAcrossColumns
            )
        })
        && !scan.scans.is_empty()
        && scan
            .scans
            .iter()
            .all(|&id| context.graph.node(id).is_index_probe())
        && (scan.partitions_in_plan as f64) <= settings.threshold("cheap_probe_max_partitions")
}

fn report_cheap_probes(
    scan: &PartitionScan,
    message: String,
    diagnosis: Option<Diagnosis>,
    sink: &mut Sink<'_>,
) {
    sink.report(Draft {
        node: scan.node_id,
        severity: Severity::Info,
        relation: Some(scan.parent.clone()),
        message: format!(
            "{message}; every partition is probed through an index, which costs little at {} partitions",
            scan.partitions_in_plan
        ),
        suggestion: format!(
            "Nothing to fix at this partition count: the query does not confine itself to some partitions, and each \
             partition is read through an index. Planning and locking grow with the number of partitions; if {} is mostly \
             queried this way and keeps gaining partitions, reconsider the partition key.",
            scan.parent
        ),
        fix_sql: None,
        diagnosis,
    });
}

/// A plan shown without executor start-up: PostgreSQL 16+'s `EXPLAIN (GENERIC_PLAN)`, which
/// plans a statement with parameters and shows every partition, although each execution
/// prunes at start-up on the key compared with a parameter. Nothing else shows a plain plan so:
/// a generic plan that ran (EXPLAIN EXECUTE, a logged plan) shows what start-up pruning
/// removed, every partition for a NULL value.
fn startup_pruning_unshown(context: &Context<'_>, scan: &PartitionScan) -> bool {
    let (Some(facts), Some(filters)) = (
        key_facts(context, scan),
        first_scan_conditions(context, scan),
    ) else {
        return false;
    };
    scan.removed_at_startup == 0
        && !context.graph.node(scan.node_id).is_analyzed()
        && prunes_on_parameter(&filters, &facts)
}

fn report_unshown_startup_pruning(scan: &PartitionScan, sink: &mut Sink<'_>) {
    sink.report(Draft {
        node: scan.node_id,
        severity: Severity::Info,
        relation: Some(scan.parent.clone()),
        message: format!(
            "the plan shows {} partitions of {}{}, but it was made without executor start-up \
             (EXPLAIN (GENERIC_PLAN)), which is where the key compared with a parameter prunes: \
             each execution reads only the partitions of its value",
            scan.partitions_in_plan,
            scan.parent,
            scan.key_description().map(|key| format!(" ({key})")).unwrap_or_default()
        ),
        suggestion: "Nothing to fix: to see the partitions an execution reads, PREPARE the statement and \
                     EXPLAIN EXECUTE it with a value (SET plan_cache_mode = force_generic_plan for the generic \
                     plan), which `planlint check` does."
            .to_owned(),
        fix_sql: None,
        diagnosis: None,
    });
}

/// A range-partitioned scan that pruned, but kept the default partition: the explicit
/// partitions do not cover the predicate's range (an open range, typically).
fn reads_default_needlessly(scan: &PartitionScan) -> bool {
    let range = scan
        .partition_key
        .as_ref()
        .is_some_and(|key| key.strategy == "range");
    range
        && !scan.unpruned()
        && scan.default_in_plan
        && scan
            .partitions_total
            .is_some_and(|total| scan.partitions_in_plan < total)
}

fn report_default_partition(
    context: &Context<'_>,
    settings: &RuleSettings,
    scan: &PartitionScan,
    sink: &mut Sink<'_>,
) {
    let column = scan
        .partition_key
        .as_ref()
        .and_then(|key| key.columns.first())
        .cloned()
        .unwrap_or_default();
    let detail = context.query.map_or_else(
        || format!("the predicate on {column}"),
        |_| format!("the query's predicate on {column}"),
    );
    let facts = KeyFacts {
        column,
        ..KeyFacts::default()
    };
    sink.report(Draft {
        node: scan.node_id,
        severity: settings.severity.lowered(),
        relation: Some(scan.parent.clone()),
        message: format!(
            "scanned {} of {} partitions of {}{}, including its default partition",
            scan.partitions_in_plan,
            scan.partitions_total.unwrap_or_default(),
            scan.parent,
            scan.key_description().map(|key| format!(" ({key})")).unwrap_or_default()
        ),
        suggestion: "Bound the range so the explicit partitions cover it (add the missing upper or lower bound), \
                     or move the default partition's rows into explicit partitions: an empty default partition costs \
                     little to scan."
            .to_owned(),
        fix_sql: None,
        diagnosis: Some(Diagnosis {
            kind: CauseKind::DefaultPartition,
            cause: sentence(CauseKind::DefaultPartition, &detail, &facts),
            rewrite_sql: None,
        }),
    });
}

/// A literal statement that prunes at executor start-up only: fine for one run, but the
/// planner plans (and a cached plan locks) every partition. Statements with parameters are
/// expected to prune at start-up, so they are not reported.
fn pruned_only_at_startup(context: &Context<'_>, scan: &PartitionScan) -> bool {
    let literal_query = context.query.is_some_and(|query| !query.contains('$'));
    literal_query && scan.pruned_at == [PruningPhase::Startup]
}

fn report_startup_pruning(context: &Context<'_>, scan: &PartitionScan, sink: &mut Sink<'_>) {
    let diagnosis = diagnose(context, scan).filter(|d| d.kind == CauseKind::StableValue).unwrap_or_else(|| Diagnosis {
        kind: CauseKind::StableValue,
        cause: "the key is compared with a value known only when the statement starts (a stable function, or a \
                comparison across types such as a timestamptz key with a date or timestamp literal), so pruning \
                happens at executor start-up, not at plan time"
            .to_owned(),
        rewrite_sql: None,
    });
    sink.report(Draft {
        node: scan.node_id,
        severity: Severity::Info,
        relation: Some(scan.parent.clone()),
        message: format!(
            "{} of {} partitions of {} were removed at executor start-up, none at plan time",
            scan.removed_at_startup,
            scan.partitions_in_plan as u64 + scan.removed_at_startup,
            scan.parent
        ),
        suggestion: "Fine for a one-off query. For a statement planned once and run often, compare the key with a \
                     literal of the key's own type (or a parameter), so the planner prunes."
            .to_owned(),
        fix_sql: None,
        diagnosis: Some(diagnosis),
    });
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
    if scan.partition_key.is_none() {
        return wrapped_key_inference(context, scan)
            .map(|inference| inferred_diagnosis(context, scan, inference));
    }
    let facts = key_facts(context, scan)?;
    let from_query = context
        .statements()
        .and_then(|statements| diagnose_statements(statements, &scan.parent, &facts));
    from_query
        .or_else(|| diagnose_filters(&first_scan_conditions(context, scan)?, &facts))
        .map(|diagnosis| with_join_method(context, scan, diagnosis))
}

/// The conditions of the first partition scan (filter, index and recheck conditions): each
/// partition's are the same but for the alias.
fn first_scan_conditions<'a>(
    context: &'a Context<'_>,
    scan: &PartitionScan,
) -> Option<Vec<&'a str>> {
    let first = context.graph.node(*scan.scans.first()?);
    Some(
        [&first.filter, &first.index_cond, &first.recheck_cond]
            .into_iter()
            .flatten()
            .map(AsRef::as_ref)
            .collect(),
    )
}

/// What the diagnosis needs of the scan's partition key, from the catalog: `None` without one
/// (or for a key on an expression).
fn key_facts(context: &Context<'_>, scan: &PartitionScan) -> Option<KeyFacts> {
    let key = scan.partition_key.as_ref()?;
    let column = key.columns.first()?.clone();
    let table = context
        .catalog
        .and_then(|catalog| catalog.find(scan.parent_schema.as_deref(), &scan.parent));
    let type_name = table
        .and_then(|table| table.columns.iter().find(|c| c.name == column))
        .map(|c| c.type_name.clone());
    // A one-level LIST table's listed values, when no DEFAULT partition may hold others.
    let list_values = match (context.catalog, table) {
        (Some(catalog), Some(table)) if key.strategy == "list" && key.columns.len() == 1 => {
            let partitions = catalog.partitions_of(table);
            if partitions
                .iter()
                .any(|partition| partition.partition_key.is_some())
            {
                None
            } else {
                listed_values(
                    partitions
                        .iter()
                        .map(|partition| partition.partition_bound.as_deref().unwrap_or("DEFAULT")),
                )
            }
        }
        _ => None,
    };
    Some(KeyFacts {
        column,
        strategy: key.strategy.clone(),
        type_name,
        list_values,
    })
}

/// A `join-column` cause says what the plan's join does, not what joins do in general.
fn with_join_method(
    context: &Context<'_>,
    scan: &PartitionScan,
    mut diagnosis: Diagnosis,
) -> Diagnosis {
    if diagnosis.kind != CauseKind::JoinColumn {
        return diagnosis;
    }
    let graph = context.graph;
    let mut child = scan.node_id;
    for ancestor in graph.ancestors(scan.node_id) {
        let method = &*graph.node(ancestor).node_type;
        if matches!(method, "Hash Join" | "Merge Join" | "Nested Loop") {
            let inner = graph.relationship(child) == Some(&Relationship::Inner);
            diagnosis.cause = diagnosis
                .cause
                .replace(JOIN_COLUMN_TAIL, join_column_tail(method, inner));
            break;
        }
        child = ancestor;
    }
    diagnosis
}

fn suggestion(scan: &PartitionScan, diagnosis: Option<&Diagnosis>, query_known: bool) -> String {
    let ask_for_query = if query_known {
        ""
    } else {
        " Pass the statement (--query FILE) to learn why nothing was pruned."
    };
    match diagnosis.map(|diagnosis| (diagnosis.kind, diagnosis.rewrite_sql.is_some())) {
        Some((_, true)) => "Compare the bare partition key instead, as rewrite_sql does (it returns the same rows); \
                            then the planner prunes."
            .to_owned(),
        Some((CauseKind::PruningDisabled, _)) => "Turn enable_partition_pruning back on (RESET enable_partition_pruning, \
                                                  or remove it from the role, database or postgresql.conf)."
            .to_owned(),
        Some((CauseKind::FunctionOnKey | CauseKind::CastOnKey | CauseKind::TypeMismatch, false)) => format!(
            "Compare the bare partition key with values of its own type, with no function or cast around the key.{ask_for_query}"
        ),
        Some((CauseKind::NoKeyPredicate, _)) => no_key_suggestion(scan),
        Some(_) => "Change the predicate on the partition key as the cause says, so that the planner can hold it \
                    against the partition bounds."
            .to_owned(),
        None => format!("{}{ask_for_query}", no_key_suggestion(scan)),
    }
}

/// For a query that does not constrain the key: never a predicate it does not mean, which
/// would change its results, but the index that makes each partition's probe cheap.
fn no_key_suggestion(scan: &PartitionScan) -> String {
    match &scan.partition_key {
        Some(key) => format!(
            "The query does not constrain the partition key ({}), and a condition on it that the query does not mean \
             would change its results. Index the columns it filters on, on the partitioned table (see missing-index), \
             so that each partition is probed cheaply; if {} is mostly queried this way, reconsider the partition key.",
            key.columns.join(", "),
            scan.parent
        ),
        None => format!(
            "Pass a catalog snapshot (--catalog FILE; `planlint catalog --sql | psql -XAt -d DB > catalog.json` \
             writes one) to learn the partition key of {} and the exact partition count.",
            scan.parent
        ),
    }
}
