//! The compact plan tree of the text report: one line per node, partitions of one parent
//! collapsed into one line, very deep or very long plans cut with a note.

use std::collections::BTreeMap;

use colored::Colorize;

use crate::partitions::{PartitionScan, PruningPhase};
use crate::plan::{NodeId, PlanGraph, PlanNode};
use crate::rules::{Finding, Severity};

/// Levels shown below the root before deeper nodes are summarised.
const MAX_DEPTH: usize = 40;
/// Lines shown before the rest of the tree is summarised.
const MAX_LINES: usize = 200;

/// The tree as lines of text (colored when colors are on).
pub fn render_tree(
    graph: &PlanGraph,
    partitions: &[PartitionScan],
    findings: &[Finding],
) -> Vec<String> {
    let Some(root) = graph.root() else {
        return Vec::new();
    };
    let mut markers: BTreeMap<usize, Vec<&Finding>> = BTreeMap::new();
    for finding in findings {
        markers.entry(finding.node_id).or_default().push(finding);
    }
    let collapsed: BTreeMap<usize, &PartitionScan> = partitions
        .iter()
        .filter(|scan| graph.node(scan.node_id).is_append())
        .map(|scan| (scan.node_id.index(), scan))
        .collect();
    let sizes = subtree_sizes(graph);

    let mut lines = Vec::new();
    // (node, prefix for its own line, prefix for its children)
    let mut pending: Vec<(NodeId, String, String, usize)> =
        vec![(root, String::new(), String::new(), 0)];
    while let Some((id, own_prefix, child_prefix, depth)) = pending.pop() {
        if lines.len() >= MAX_LINES {
            let shown: usize = lines.len();
            lines.push(
                format!(
                    "… {} more nodes not shown (see --format json for all)",
                    graph.len().saturating_sub(shown)
                )
                .dimmed()
                .to_string(),
            );
            break;
        }
        if depth > MAX_DEPTH {
            lines.push(
                format!(
                    "{own_prefix}… {} nodes deeper than {MAX_DEPTH} levels not shown",
                    sizes[id.index()]
                )
                .dimmed()
                .to_string(),
            );
            continue;
        }
        let marks = markers
            .get(&id.index())
            .map(Vec::as_slice)
            .unwrap_or_default();
        let children = graph.children(id);
        if let Some(scan) = collapsed.get(&id.index()) {
            lines.push(format!(
                "{own_prefix}{}{}",
                partition_line(graph, scan),
                marker_text(marks)
            ));
            let member_roots = member_roots(graph, id, &scan.scans);
            let others: Vec<NodeId> = children
                .into_iter()
                .filter(|child| member_roots.binary_search(child).is_err())
                .collect();
            let groups = member_groups(graph, &scan.scans_in_order, &markers);
            let total = groups.len() + others.len();
            let mut entries: Vec<(NodeId, String, String, usize)> = others
                .iter()
                .enumerate()
                .map(|(i, &child)| {
                    let last = groups.len() + i + 1 == total;
                    (
                        child,
                        branch(&child_prefix, last),
                        stem(&child_prefix, last),
                        depth + 1,
                    )
                })
                .collect();
            for (i, line) in groups.iter().enumerate() {
                let last = i + 1 == total;
                lines.push(format!("{}{line}", branch(&child_prefix, last)));
            }
            entries.reverse();
            pending.extend(entries);
            continue;
        }
        lines.push(format!(
            "{own_prefix}{}{}",
            node_line(graph.node(id), &graph.label(id)),
            marker_text(marks)
        ));
        let count = children.len();
        for (i, &child) in children.iter().enumerate().rev() {
            let last = i + 1 == count;
            pending.push((
                child,
                branch(&child_prefix, last),
                stem(&child_prefix, last),
                depth + 1,
            ));
        }
    }
    lines
}

fn branch(prefix: &str, last: bool) -> String {
    format!("{prefix}{}", if last { "└─ " } else { "├─ " })
}

fn stem(prefix: &str, last: bool) -> String {
    format!("{prefix}{}", if last { "   " } else { "│  " })
}

/// Number of nodes in each node's subtree, itself included.
fn subtree_sizes(graph: &PlanGraph) -> Vec<usize> {
    let mut sizes = vec![1; graph.len()];
    for id in graph.ids().rev() {
        if let Some(parent) = graph.parent(id) {
            sizes[parent.index()] += sizes[id.index()];
        }
    }
    sizes
}

/// The Append's children that are, or wrap, one of the partition scans, sorted.
fn member_roots(graph: &PlanGraph, append: NodeId, scans: &[NodeId]) -> Vec<NodeId> {
    let mut roots: Vec<NodeId> = scans
        .iter()
        .filter_map(|&scan| {
            std::iter::once(scan)
                .chain(graph.ancestors(scan))
                .find(|&node| graph.parent(node) == Some(append))
        })
        .collect();
    roots.sort_unstable();
    roots.dedup();
    roots
}

/// `Append: 8 of 8 partitions of orders (RANGE on order_id), no pruning`.
fn partition_line(graph: &PlanGraph, scan: &PartitionScan) -> String {
    // "1 of 20 partitions", "1 partition (total unknown)".
    let noun = if scan.partitions_total.unwrap_or(scan.partitions_in_plan) == 1 {
        "partition"
    } else {
        "partitions"
    };
    let of = match scan.partitions_total {
        Some(total) => format!("{} of {total} {noun}", scan.partitions_in_plan),
        None => format!("{} {noun} (total unknown)", scan.partitions_in_plan),
    };
    let key = scan
        .partition_key
        .as_ref()
        .map(|key| {
            format!(
                " ({} on {})",
                key.strategy.to_uppercase(),
                key.columns.join(", ")
            )
        })
        .unwrap_or_default();
    let mut phases: Vec<String> = Vec::new();
    for phase in &scan.pruned_at {
        phases.push(match phase {
            PruningPhase::Plan => "pruned at plan time".into(),
            PruningPhase::Startup => format!("{} removed at start-up", scan.removed_at_startup),
            PruningPhase::Runtime => format!("{} skipped at run time", scan.skipped_at_runtime),
        });
    }
    if phases.is_empty() && scan.runtime_pruning_possible {
        phases.push("run-time pruning possible (EXPLAIN ANALYZE shows it)".into());
    } else if phases.is_empty() {
        phases.push("no pruning".into());
    }
    if scan.never_executed > 0 && !scan.pruned_at.contains(&PruningPhase::Runtime) {
        phases.push(format!(
            "{} never executed (Limit above)",
            scan.never_executed
        ));
    }
    let node = graph.node(scan.node_id);
    format!(
        "{}: {of} of {}{key}, {}{}",
        graph.label(scan.node_id).bold(),
        scan.parent.bold(),
        phases.join(", "),
        costs(node)
    )
}

/// One line per kind of partition scan: `Seq Scan on orders_p1 … orders_p8 ×8`.
fn member_groups(
    graph: &PlanGraph,
    scans: &[NodeId],
    markers: &BTreeMap<usize, Vec<&Finding>>,
) -> Vec<String> {
    let mut groups: BTreeMap<String, Vec<NodeId>> = BTreeMap::new();
    for &scan in scans {
        let node = graph.node(scan);
        let kind = if node.parallel_aware {
            format!("Parallel {}", node.node_type)
        } else {
            node.node_type.to_string()
        };
        groups.entry(kind).or_default().push(scan);
    }
    groups
        .into_iter()
        .map(|(kind, nodes)| {
            // The scans come in partition order (by bound, else by name), not plan order.
            let name = |node: NodeId| {
                graph
                    .node(node)
                    .relation_name
                    .as_deref()
                    .unwrap_or_default()
            };
            let first = name(nodes[0]);
            let last = name(nodes[nodes.len() - 1]);
            let names = if nodes.len() == 1 {
                first.to_owned()
            } else {
                format!("{first} … {last} ×{}", nodes.len())
            };
            let marks: Vec<&Finding> = nodes
                .iter()
                .filter_map(|node| markers.get(&node.index()))
                .flatten()
                .copied()
                .collect();
            format!("{kind} on {names}{}", marker_text(&marks))
        })
        .collect()
}

fn node_line(node: &PlanNode, label: &str) -> String {
    format!("{}{}", label.bold(), costs(node))
}

/// `  (rows=40 loops=1 time=12.3ms)` for ANALYZE plans, `  (rows=40 cost=1234)` otherwise.
fn costs(node: &PlanNode) -> String {
    let text = if let Some(loops) = node.actual_loops {
        if loops == 0.0 {
            "never executed".to_owned()
        } else {
            let time = node
                .actual_total_time
                .map(|t| format!(" time={t:.1}ms"))
                .unwrap_or_default();
            format!(
                "rows={} loops={}{time}",
                crate::numbers::count(node.actual_rows.unwrap_or(0.0)),
                loops
            )
        }
    } else {
        let rows = node
            .plan_rows
            .map(|rows| format!("rows={}", crate::numbers::count(rows)));
        let cost = node
            .total_cost
            .map(|cost| format!("cost={}", crate::numbers::count(cost)));
        rows.into_iter().chain(cost).collect::<Vec<_>>().join(" ")
    };
    if text.is_empty() {
        String::new()
    } else {
        format!("  {}", format!("({text})").dimmed())
    }
}

/// `  ◀ PL001 PL003` in the color of the most severe finding.
fn marker_text(findings: &[&Finding]) -> String {
    let Some(worst) = findings.iter().map(|finding| finding.severity).max() else {
        return String::new();
    };
    let mut codes: Vec<&str> = findings
        .iter()
        .map(|finding| finding.code.as_str())
        .collect();
    codes.sort_unstable();
    codes.dedup();
    format!("  {}", paint(&format!("◀ {}", codes.join(" ")), worst))
}

/// Colors text by severity.
pub fn paint(text: &str, severity: Severity) -> String {
    match severity {
        Severity::Error => text.red().bold().to_string(),
        Severity::Warning => text.yellow().bold().to_string(),
        Severity::Info => text.cyan().to_string(),
    }
}
