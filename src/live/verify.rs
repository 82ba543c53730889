//! `--verify`: re-plans each suggested rewrite on the live server (plain EXPLAIN, read-only)
//! and keeps it only when the planner really reads fewer partitions with it.

use super::session::{ExplainMode, PlanChoice, Session};
use crate::catalog::Catalog;
use crate::partitions::{partition_scans, PartitionScan};
use crate::plan::parse_plans;
use crate::rules::Verified;
use crate::sql::check_statement;
use crate::Analysis;

/// Checks every rewrite in `analysis` against the planner: a rewrite that reads fewer
/// partitions gets its before/after; one that does not is withdrawn, and its finding says so.
pub fn verify_rewrites(session: &mut Session, analysis: &mut Analysis, catalog: Option<&Catalog>) {
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
        let after: Vec<PartitionScan> = explains
            .iter()
            .flat_map(|explain| partition_scans(&explain.graph, catalog))
            .filter(|scan| scan.parent == before.parent)
            .collect();
        let read_after: usize = after.iter().map(|scan| scan.partitions_in_plan).sum();
        if read_after < before.partitions_in_plan {
            finding.verified = Some(Verified {
                before: describe(before.partitions_in_plan, before.partitions_total),
                after: describe(read_after, before.partitions_total),
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
