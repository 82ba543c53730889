//! Names plan nodes the way EXPLAIN's text format does, so paths read like the plans users know.

use super::node::PlanNode;

/// The node's name as `EXPLAIN` (FORMAT TEXT) prints it, without costs.
pub fn node_label(node: &PlanNode) -> String {
    let mut label = String::new();
    match node.partial_mode.as_deref() {
        Some("Partial") => label.push_str("Partial "),
        Some("Finalize") => label.push_str("Finalize "),
        _ => {}
    }
    if node.parallel_aware {
        label.push_str("Parallel ");
    }
    label.push_str(&operator_name(node));
    if let Some(index) = &node.index_name {
        label.push_str(if node.node_type == "Bitmap Index Scan" {
            " on "
        } else {
            " using "
        });
        label.push_str(index);
    }
    let target = node
        .relation_name
        .as_deref()
        .or(node.cte_name.as_deref())
        .or(node.function_name.as_deref());
    if let Some(target) = target {
        label.push_str(" on ");
        if let Some(schema) = &node.schema {
            label.push_str(schema);
            label.push('.');
        }
        label.push_str(target);
    }
    label
}

/// The operator part of the name: strategy and join type folded in as EXPLAIN does.
fn operator_name(node: &PlanNode) -> String {
    let node_type = node.node_type.as_ref();
    match node_type {
        "Aggregate" => match node.strategy.as_deref() {
            Some("Sorted") => "GroupAggregate".into(),
            Some("Hashed") => "HashAggregate".into(),
            Some("Mixed") => "MixedAggregate".into(),
            _ => "Aggregate".into(),
        },
        "SetOp" if node.strategy.as_deref() == Some("Hashed") => "HashSetOp".into(),
        "ModifyTable" => node.operation.as_deref().unwrap_or(node_type).to_owned(),
        "Nested Loop" | "Hash Join" | "Merge Join" => {
            join_name(node_type, node.join_type.as_deref())
        }
        _ => node_type.into(),
    }
}

/// `Hash Join` with join type `Left` is `Hash Left Join`; `Nested Loop` becomes `Nested Loop Left Join`.
fn join_name(node_type: &str, join_type: Option<&str>) -> String {
    let join_type = match join_type {
        None | Some("Inner") => return node_type.into(),
        Some(join_type) => join_type,
    };
    match node_type.strip_suffix(" Join") {
        Some(method) => format!("{method} {join_type} Join"),
        None => format!("{node_type} {join_type} Join"),
    }
}
