//! Reading pruning phases off the plan: start-up removals and run-time skips.

use crate::plan::{NodeId, PlanGraph};

/// Nodes that consume their whole input before returning a row: a Limit above them does not
/// stop the scans below early.
const BLOCKING_NODES: &[&str] = &[
    "Sort",
    "Incremental Sort",
    "Aggregate",
    "Hash",
    "Materialize",
    "WindowAgg",
    "SetOp",
    "Recursive Union",
];

/// Whether a Limit above `id` could stop the node before all its children ran, so that
/// never-executed children prove nothing about pruning.
pub(super) fn limited_from_above(graph: &PlanGraph, id: NodeId) -> bool {
    for ancestor in graph.ancestors(id) {
        let node_type = graph.node(ancestor).node_type.as_ref();
        if node_type == "Limit" {
            return true;
        }
        if BLOCKING_NODES.contains(&node_type) {
            return false;
        }
    }
    false
}

/// How many of `members` ran in fewer loops than their Append (ANALYZE), i.e. were skipped by
/// run-time pruning in some or all of the Append's executions.
pub(super) fn skipped_at_runtime(graph: &PlanGraph, append: NodeId, members: &[NodeId]) -> usize {
    let Some(append_loops) = graph.node(append).actual_loops else {
        return 0;
    };
    if append_loops == 0.0 || graph.node(append).parallel_aware {
        // A parallel Append hands children to workers: only zero loops mean anything there.
        return members
            .iter()
            .filter(|&&m| graph.node(m).never_executed())
            .count();
    }
    members
        .iter()
        .filter(|&&member| {
            graph
                .node(member)
                .actual_loops
                .is_some_and(|loops| loops < append_loops)
        })
        .count()
}

/// How many scans look needless: they returned no rows (ANALYZE, among the scans that ran)
/// or are estimated to return at most one (plain EXPLAIN, where the planner never estimates
/// fewer).
pub(super) fn empty_scans(graph: &PlanGraph, scans: &[NodeId]) -> usize {
    scans
        .iter()
        .filter(|&&scan| {
            let node = graph.node(scan);
            match (node.actual_loops, node.actual_rows) {
                (Some(loops), Some(rows)) => loops > 0.0 && rows == 0.0,
                _ => node.plan_rows.is_some_and(|rows| rows <= 1.0),
            }
        })
        .count()
}

/// Whether the plan has InitPlans anywhere.
pub(super) fn has_init_plans(graph: &PlanGraph) -> bool {
    graph
        .ids()
        .any(|id| graph.relationship(id) == Some(&crate::plan::Relationship::InitPlan))
}

/// Whether the scans' conditions compare with values that change while the query runs (the
/// outer side of a nested loop, an InitPlan's result), on the partition key when it is known:
/// then run-time pruning can skip partitions, which a plan without ANALYZE cannot show.
///
/// A `$n` is an InitPlan's result only when the plan has InitPlans (PostgreSQL before 17
/// prints both as `$n`); otherwise it is a parameter of a prepared statement, known at
/// executor start-up, where `"Subplans Removed"` would already show any pruning.
pub(super) fn parameterized(
    graph: &PlanGraph,
    scans: &[NodeId],
    key_columns: Option<&[String]>,
    has_init_plans: bool,
) -> bool {
    scans.iter().any(|&scan| {
        let node = graph.node(scan);
        let alias = node
            .alias
            .as_deref()
            .or(node.relation_name.as_deref())
            .unwrap_or_default();
        let mut conditions: Vec<&str> = [&node.index_cond, &node.filter, &node.recheck_cond]
            .into_iter()
            .flatten()
            .map(AsRef::as_ref)
            .collect();
        conditions.extend(
            graph
                .children(scan)
                .into_iter()
                .filter_map(|child| graph.node(child).index_cond.as_deref()),
        );
        conditions.into_iter().any(|condition| {
            uses_outside_values(condition, alias, has_init_plans)
                && key_columns.is_none_or(|columns| {
                    columns
                        .iter()
                        .any(|column| words(condition).any(|word| word == column))
                })
        })
    })
}

/// Identifier-like words of an expression, outside string literals.
fn words(expression: &str) -> impl Iterator<Item = &str> {
    let mut in_string = false;
    expression
        .split(move |c: char| {
            if c == '\'' {
                in_string = !in_string;
            }
            in_string || !(c.is_alphanumeric() || c == '_' || c == '$' || c == '.')
        })
        .flat_map(|token| token.split('.'))
        .filter(|word| !word.is_empty())
}

/// Whether an expression refers to an InitPlan's output (`$1` when `dollar_params_vary`, or
/// `(InitPlan 1).col1`) or to a column qualified by an alias other than the scan's own.
fn uses_outside_values(expression: &str, own_alias: &str, dollar_params_vary: bool) -> bool {
    if expression.contains("(InitPlan ") {
        return true;
    }
    // Only a `$n` or a qualified column can be a value from outside: most filters have neither.
    if !expression.bytes().any(|b| b == b'$' || b == b'.') {
        return false;
    }
    let mut in_string = false;
    let tokens = expression.split(|c: char| {
        if c == '\'' {
            in_string = !in_string;
        }
        in_string || !(c.is_alphanumeric() || c == '_' || c == '$' || c == '.' || c == '"')
    });
    tokens.into_iter().any(|token| {
        let is_parameter = dollar_params_vary
            && token
                .strip_prefix('$')
                .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()));
        let qualifier = token
            .split_once('.')
            .map(|(qualifier, _)| qualifier.trim_matches('"'));
        is_parameter
            || qualifier.is_some_and(|qualifier| {
                !qualifier.is_empty()
                    && qualifier != own_alias
                    && !qualifier.bytes().all(|b| b.is_ascii_digit())
            })
    })
}

#[cfg(test)]
mod tests {
    use super::uses_outside_values;

    #[test]
    fn outside_values_are_initplan_results_and_other_aliases() {
        let outside = |expression: &str, with_init_plans: bool| {
            uses_outside_values(expression, "orders_1", with_init_plans)
        };
        assert!(uses_outside_values(
            "(order_id = c.last_order_id)",
            "o_1",
            false
        ));
        assert!(outside("(order_id = $1)", true));
        assert!(
            !outside("(order_id = $1)", false),
            "a prepared statement's parameter"
        );
        assert!(outside("(order_id = (InitPlan 1).col1)", false));
        assert!(!outside("(orders_1.customer_id = 4242)", true));
        assert!(!outside("(amount > 1.5)", true));
        assert!(!outside("(note = 'a.b $1')", true));
    }
}
