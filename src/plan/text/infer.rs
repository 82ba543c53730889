//! What the text format leaves out and JSON prints, filled in once a plan is read (the list is
//! in the [module documentation](super)).

use crate::plan::graph::{NodeId, PlanGraph};
use crate::plan::node::{Buffers, Relationship};

/// What the reader noticed while reading a plan, so that filling in needs no pass over nodes
/// it does not change.
#[derive(Debug, Default)]
pub(super) struct Seen {
    /// A node has ANALYZE's measurements.
    pub analyzed: bool,
    /// A node has actual times (ANALYZE without TIMING OFF).
    pub timed: bool,
    /// A node has a Buffers line.
    pub buffered: bool,
    /// The Append and Merge Append nodes.
    pub appends: Vec<NodeId>,
}

/// Fills in the fields text does not print: each child's parent relationship, zero counts,
/// the actual time of nodes that never ran. `edges` are (parent, child) pairs in plan order.
pub(super) fn complete(graph: &mut PlanGraph, edges: &[(NodeId, NodeId)], seen: &Seen) {
    relationships(graph, edges);
    for &id in &seen.appends {
        graph.node_mut(id).subplans_removed.get_or_insert(0);
    }
    if !seen.analyzed {
        return;
    }
    for index in 0..graph.len() {
        let node = graph.node_mut(NodeId::new(index));
        if !node.is_analyzed() {
            continue;
        }
        if node.filter.is_some() {
            node.rows_removed_by_filter.get_or_insert(0.0);
        }
        if seen.timed && node.never_executed() {
            node.actual_total_time.get_or_insert(0.0);
        }
        if seen.buffered {
            let buffers = node.buffers.get_or_insert_with(Box::default);
            let Buffers {
                shared_hit,
                shared_read,
                shared_dirtied,
                shared_written,
                local_hit,
                local_read,
                temp_read,
                temp_written,
            } = &mut **buffers;
            for count in [
                shared_hit,
                shared_read,
                shared_dirtied,
                shared_written,
                local_hit,
                local_read,
                temp_read,
                temp_written,
            ] {
                count.get_or_insert(0);
            }
        }
    }
}

/// Each child's relationship to its parent, unless a subplan header gave it one.
fn relationships(graph: &mut PlanGraph, edges: &[(NodeId, NodeId)]) {
    let mut position = vec![0usize; graph.len()];
    let mut inputs = vec![0usize; graph.len()];
    for &(parent, child) in edges {
        if graph.node(child).parent_relationship.is_none() {
            inputs[parent.index()] += 1;
        }
    }
    for &(parent, child) in edges {
        if graph.node(child).parent_relationship.is_some() {
            continue;
        }
        let parent_node = graph.node(parent);
        let members = matches!(
            &*parent_node.node_type,
            "Append" | "Merge Append" | "BitmapAnd" | "BitmapOr" | "Custom Scan"
        ) || (parent_node.node_type == "ModifyTable" && inputs[parent.index()] > 1);
        let relationship = if members {
            Relationship::Member
        } else if parent_node.node_type == "Subquery Scan" {
            Relationship::Subquery
        } else {
            let index = position[parent.index()];
            position[parent.index()] += 1;
            if index == 0 {
                Relationship::Outer
            } else {
                Relationship::Inner
            }
        };
        graph.node_mut(child).parent_relationship = Some(relationship);
    }
}

/// The inputs a node always has (besides subplans), by node type.
fn required_inputs(node_type: &str) -> usize {
    match node_type {
        "Nested Loop" | "Hash Join" | "Merge Join" | "Recursive Union" => 2,
        "Hash" | "Sort" | "Incremental Sort" | "Gather" | "Gather Merge" | "Limit"
        | "Materialize" | "Memoize" | "Unique" | "Aggregate" | "WindowAgg" | "Group"
        | "LockRows" | "SetOp" | "Subquery Scan" | "Bitmap Heap Scan" | "ProjectSet"
        | "ModifyTable" => 1,
        _ => 0,
    }
}

/// The last node with fewer inputs than its type always has, described: the sign of a plan
/// cut off before its end.
pub(super) fn missing_input(graph: &PlanGraph, edges: &[(NodeId, NodeId)]) -> Option<String> {
    let mut inputs = vec![0usize; graph.len()];
    for &(parent, child) in edges {
        let subplan = matches!(
            graph.node(child).parent_relationship,
            Some(Relationship::InitPlan | Relationship::SubPlan)
        );
        if !subplan {
            inputs[parent.index()] += 1;
        }
    }
    let id = graph
        .ids()
        .rev()
        .find(|id| inputs[id.index()] < required_inputs(&graph.node(*id).node_type))?;
    let required = required_inputs(&graph.node(id).node_type);
    Some(format!(
        "`{}` has {} of its {required} input{}",
        graph.label(id),
        inputs[id.index()],
        if required == 1 { "" } else { "s" }
    ))
}
