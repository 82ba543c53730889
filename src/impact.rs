//! The time a finding accounts for, where the input tells it: the time spent in the finding's
//! node in an EXPLAIN ANALYZE plan (pasted or logged), else the statement's time as
//! pg_stat_statements or a server log measured it.
//!
//! A node's time is its own, its children's taken off, as planlint shows the node: an Append
//! or Merge Append keeps its partition scans, which planlint rolls up into it. EXPLAIN ANALYZE
//! gives each node's time per loop; times the loops, that is the time of every execution of
//! the node. Under a Gather, the loops are the processes (the workers and the leader) that ran
//! it side by side, so the sum is divided by their number, the loops of the Gather's child, to
//! stay on the clock the statement ran by.

use serde::Serialize;

use crate::plan::{NodeId, PlanGraph};
use crate::rules::Finding;
use crate::AnalyzedPlan;

/// What a finding costs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Impact {
    /// Milliseconds.
    pub time_ms: f64,
    /// What the time is.
    pub basis: ImpactBasis,
    /// The share of the measured time it is, 0 to 1: of the plan's execution for a node's
    /// time, of everything the source measured for a statement's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
}

/// Where an impact's time comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImpactBasis {
    /// The time spent in the finding's node, in one execution of an EXPLAIN ANALYZE plan; for
    /// several logged executions of one plan, its share of the one measured times their total.
    NodeTime,
    /// The statement's time as its source measured it (pg_stat_statements' total, or a
    /// server log's durations): the finding accounts for at most that.
    StatementTime,
}

/// Sets the impact of every finding of `plan` the input tells one for, then puts the worst
/// first (see [`worst_first`]).
pub fn assign(plan: &mut AnalyzedPlan) {
    let graph = &plan.explain.graph;
    let execution = graph.root().and_then(|root| inclusive_time(graph, root));
    let statement = plan.workload.as_ref().and_then(|workload| {
        let time = workload.total_time_ms.or(workload.duration_ms)?;
        Some((time, workload.share))
    });
    // Several executions of the plan (a log's grouped entries): the node's share of the one
    // measured, times the time of them all.
    let executions_total = plan
        .workload
        .as_ref()
        .filter(|workload| workload.calls.is_some_and(|calls| calls > 1))
        .and_then(|workload| workload.total_time_ms);
    for finding in &mut plan.analysis.findings {
        let node = NodeId::new(finding.node_id);
        finding.impact = match (node_time(graph, node), execution, statement) {
            (Some(time), Some(execution), _) => {
                let share = (execution > 0.0).then(|| (time / execution).min(1.0));
                Some(Impact {
                    time_ms: match (share, executions_total) {
                        (Some(share), Some(total)) => share * total,
                        _ => time,
                    },
                    basis: ImpactBasis::NodeTime,
                    share,
                })
            }
            (_, _, Some((time, share))) => Some(Impact {
                time_ms: time,
                basis: ImpactBasis::StatementTime,
                share,
            }),
            _ => None,
        };
    }
    worst_first(&mut plan.analysis.findings);
}

/// Orders findings by the time of their node, the most first, where the plan times its nodes;
/// the findings of one node keep their order, the one that holds the fix before its symptoms
/// (see the rules' ranking), as do findings whose impact is the statement's time alone (they
/// all have the same), after those with a node's time.
fn worst_first(findings: &mut [Finding]) {
    let node_time = |finding: &Finding| {
        finding
            .impact
            .filter(|impact| impact.basis == ImpactBasis::NodeTime)
            .map(|impact| impact.time_ms)
    };
    // Stable: equal times keep the rules' order.
    findings.sort_by(|a, b| match (node_time(a), node_time(b)) {
        (Some(a), Some(b)) => b.total_cmp(&a),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
}

/// The node's time, its children's taken off (an Append keeps its partition scans).
fn node_time(graph: &PlanGraph, id: NodeId) -> Option<f64> {
    if id.index() >= graph.len() {
        return None;
    }
    let own = inclusive_time(graph, id)?;
    if graph.node(id).is_append() {
        return Some(own);
    }
    let children: f64 = graph
        .children(id)
        .into_iter()
        .filter_map(|child| inclusive_time(graph, child))
        .sum();
    Some((own - children).max(0.0))
}

/// The time of every execution of the node and what runs under it, on the statement's clock.
fn inclusive_time(graph: &PlanGraph, id: NodeId) -> Option<f64> {
    let node = graph.node(id);
    let per_loop = node.actual_total_time?;
    let loops = node.actual_loops.unwrap_or(1.0).max(1.0);
    Some(per_loop * loops / processes(graph, id))
}

/// How many processes ran the node side by side: the loops of the child of the nearest Gather
/// or Gather Merge above it, else one.
fn processes(graph: &PlanGraph, id: NodeId) -> f64 {
    let mut below = id;
    for ancestor in graph.ancestors(id) {
        if matches!(&*graph.node(ancestor).node_type, "Gather" | "Gather Merge") {
            return graph.node(below).actual_loops.unwrap_or(1.0).max(1.0);
        }
        below = ancestor;
    }
    1.0
}
