//! `--verify`: checks fixes against the live planner. Each suggested rewrite is re-planned
//! (plain EXPLAIN, read-only) and kept only when the planner reads fewer partitions with it;
//! each suggested index is tried as a HypoPG hypothetical index and kept only when the planner
//! would use it.

use super::session::{ExplainMode, PlanChoice, Session};
use crate::catalog::Catalog;
use crate::numbers::count;
use crate::partitions::{partition_scans_of_statement, PartitionScan};
use crate::plan::parse_plans;
use crate::plan::Explain;
use crate::rules::{Verified, VerifyMethod};
use crate::sql::referenced_tables;
use crate::sql::{check_statement, CheckedStatement};
use crate::Analysis;

/// What `--verify` could not do, to be said once per run.
#[derive(Debug, Default)]
pub struct VerifyNotes {
    /// HypoPG is not installed in the database, so index suggestions were not verified.
    pub hypopg_missing: bool,
}

/// Checks every fix in `analysis`: rewrites (see [`verify_rewrites`]) and suggested indexes.
pub fn verify_fixes(
    session: &mut Session,
    statement: &CheckedStatement,
    analysis: &mut Analysis,
    catalog: Option<&Catalog>,
    notes: &mut VerifyNotes,
) {
    verify_rewrites(session, analysis, catalog);
    if statement.parameters > 0 || notes.hypopg_missing {
        return;
    }
    let mut unused = Vec::new();
    for (position, finding) in analysis.findings.iter_mut().enumerate() {
        if finding.rule != "missing-index" {
            continue;
        }
        let Some(index_sql) = finding.fix_sql.as_deref().and_then(hypothetical_index) else {
            continue;
        };
        match session.explain_with_hypothetical_index(statement, &index_sql) {
            Ok(None) => {
                notes.hypopg_missing = true;
                return;
            }
            Ok(Some((before, after))) => match (
                total_cost(&before),
                total_cost(&after),
                uses_hypothetical_index(&after),
            ) {
                (Some(before), Some(after), true) => {
                    finding.verified = Some(Verified {
                        before: format!("cost {}", count(before)),
                        after: format!("cost {} with the index (HypoPG)", count(after)),
                        method: VerifyMethod::Hypopg,
                        partitions_before: None,
                        partitions_after: None,
                        partitions_total: None,
                        cost_before: Some(before),
                        cost_after: Some(after),
                    });
                }
                _ => unused.push(position),
            },
            Err(error) => append(
                &mut finding.cause,
                &format!("the index could not be tried with HypoPG ({error})"),
            ),
        }
    }
    // The planner would not use these indexes: the suggestions are dropped.
    for position in unused.into_iter().rev() {
        analysis.findings.remove(position);
    }
}

/// `CREATE INDEX ON table (columns)` from the first statement of a suggested fix.
fn hypothetical_index(fix_sql: &str) -> Option<String> {
    let create = fix_sql
        .lines()
        .find(|line| line.starts_with("CREATE INDEX"))?;
    let (_, target) = create.split_once(" ON ")?;
    let target = target
        .strip_prefix("ONLY ")
        .unwrap_or(target)
        .trim_end_matches(';');
    Some(format!("CREATE INDEX ON {target}"))
}

fn parsed_root_cost(explains: &[Explain]) -> Option<f64> {
    let graph = &explains.first()?.graph;
    graph.node(graph.root()?).total_cost
}

fn total_cost(plan: &str) -> Option<f64> {
    parse_plans(plan)
        .ok()
        .and_then(|explains| parsed_root_cost(&explains))
}

/// HypoPG names its indexes `<oid>btree_table_column`.
fn uses_hypothetical_index(plan: &str) -> bool {
    parse_plans(plan).is_ok_and(|explains| {
        explains.iter().any(|explain| {
            explain.graph.ids().any(|id| {
                explain
                    .graph
                    .node(id)
                    .index_name
                    .as_deref()
                    .is_some_and(|name| name.starts_with('<'))
            })
        })
    })
}

/// Checks every rewrite in `analysis` against the planner: a rewrite that reads fewer
/// partitions gets its before/after; one that does not is withdrawn, and its finding says so.
fn verify_rewrites(session: &mut Session, analysis: &mut Analysis, catalog: Option<&Catalog>) {
    for finding in &mut analysis.findings {
        let Some(rewrite) = finding.rewrite_sql.clone() else {
            continue;
        };
        let Some(before) = analysis
            .partitions
            .iter()
            .find(|scan| Some(&scan.parent) == finding.relation.as_ref())
        else {
            continue;
        };
        let outcome = check_statement(&rewrite)
            .map_err(|error| error.to_string())
            .and_then(|statement| {
                session
                    .explain(&statement, ExplainMode::Plan, &[], PlanChoice::Generic)
                    .map_err(|error| error.to_string())
            })
            .and_then(|text| parse_plans(&text).map_err(|error| error.to_string()));
        let explains = match outcome {
            Ok(explains) => explains,
            Err(error) => {
                finding.rewrite_sql = None;
                append(
                    &mut finding.cause,
                    &format!("the rewrite could not be planned ({error}), so it is not suggested"),
                );
                continue;
            }
        };
        // The rewrite's tables tell a partition left alone by pruning from a query of that
        // partition, which PostgreSQL 12 names the same.
        let tables = referenced_tables(&rewrite).unwrap_or_default();
        let after: Vec<PartitionScan> = explains
            .iter()
            .flat_map(|explain| partition_scans_of_statement(&explain.graph, catalog, &tables))
            .filter(|scan| scan.parent == before.parent)
            .collect();
        let read_after: usize = after.iter().map(|scan| scan.partitions_in_plan).sum();
        if read_after < before.partitions_in_plan {
            finding.verified = Some(Verified {
                before: describe(before.partitions_in_plan, before.partitions_total),
                after: describe(read_after, before.partitions_total),
                method: VerifyMethod::Replan,
                partitions_before: Some(before.partitions_in_plan),
                partitions_after: Some(read_after),
                partitions_total: before.partitions_total,
                cost_before: None,
                cost_after: None,
            });
        } else {
            finding.rewrite_sql = None;
            append(
                &mut finding.cause,
                "a rewrite on the bare key was planned and read as many partitions, so it is not suggested",
            );
        }
    }
}

/// `scanned 1 of 8 partitions`.
fn describe(read: usize, total: Option<usize>) -> String {
    match total {
        Some(total) => format!("scanned {read} of {total} partitions"),
        None => format!("scanned {read} partitions"),
    }
}

fn append(cause: &mut Option<String>, text: &str) {
    match cause {
        Some(cause) => {
            cause.push_str("; ");
            cause.push_str(text);
        }
        None => *cause = Some(text.to_owned()),
    }
}
