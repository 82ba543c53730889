//! Joins that read a large table in full to match a few of its rows: a hash or merge join
//! whose one side is a sequential scan of the whole table, or a nested loop that scans its inner
//! table again for each outer row, while the join needs a small share of that table's rows.
//! What is missing then is an index on the table's join key, which lets the planner look the
//! matching rows up instead (a nested loop with an index scan on the inner side).

use sqlparser::ast::{BinaryOperator, Expr};

use super::context::Context;
use super::sites::{ScanSite, Volume};
use crate::plan::{NodeId, PlanGraph, Relationship};
use crate::sql::conjuncts::parse_conjuncts;

/// How many single-input nodes (Hash, Materialize, Gather, Sort, ...) may stand between a join
/// and the scans of one of its sides.
const MAX_WRAPPERS: usize = 8;

/// A table a join reads in full for a few rows, and its join key.
pub(super) struct JoinKeyNeed<'a> {
    /// The table access read in full.
    pub site: &'a ScanSite,
    /// What the site's sequential scans read.
    pub volume: Volume,
    /// The join key column of that table.
    pub column: String,
    /// The join's node type (`Hash Join`, `Merge Join`, `Nested Loop`).
    pub method: &'a str,
    /// The rows the join produces: about as many of the table's rows as it needs.
    pub join_rows: f64,
}

/// The tables read in full by a join that needs at most `1 - min_discard_fraction` of their
/// rows, for at most a tenth of that many rows of the other side, on tables of at least
/// `min_rows` rows.
pub(super) fn join_key_needs<'a>(
    context: &'a Context<'_>,
    min_rows: f64,
    min_discard_fraction: f64,
) -> Vec<JoinKeyNeed<'a>> {
    let graph = context.graph;
    let mut needs = Vec::new();
    for join in graph.ids() {
        let node = graph.node(join);
        let condition = match &*node.node_type {
            "Hash Join" => node.hash_cond.as_deref(),
            "Merge Join" => node.merge_cond.as_deref(),
            "Nested Loop" => node.join_filter.as_deref(),
            _ => None,
        };
        let Some(condition) = condition else { continue };
        let side = |relationship: Relationship| {
            graph
                .children(join)
                .into_iter()
                .find(|&child| graph.relationship(child) == Some(&relationship))
        };
        let (Some(outer), Some(inner)) = (side(Relationship::Outer), side(Relationship::Inner))
        else {
            continue;
        };
        // A nested loop rescans only its inner side; the others read each side once.
        let candidates: &[NodeId] = if node.node_type == "Nested Loop" {
            &[inner]
        } else {
            &[inner, outer]
        };
        let join_rows = rows(graph, join);
        for &big in candidates {
            let small = if big == inner { outer } else { inner };
            let Some(site) = site_under(graph, context.sites, big) else {
                continue;
            };
            let Some(volume) = site.seq_scans.volume else {
                continue;
            };
            let read_in_full = site.seq_scans.nodes.len() == site.scans.len()
                && volume.discard_fraction.unwrap_or(0.0) < min_discard_fraction;
            // A few rows needed, and a few rows to look them up for: a nested loop over an
            // index then probes the table a few times instead of reading it.
            let needed = (1.0 - min_discard_fraction) * volume.table_rows;
            if !read_in_full
                || volume.table_rows < min_rows
                || join_rows > needed
                || rows(graph, small) > needed / 10.0
            {
                continue;
            }
            let Some(column) = join_column(graph, site, condition) else {
                continue;
            };
            needs.push(JoinKeyNeed {
                site,
                volume,
                column,
                method: &node.node_type,
                join_rows,
            });
        }
    }
    needs
}

/// Rows a node produces over all its loops: measured under ANALYZE, else estimated. Below a
/// Gather, the Gather's count: a worker's node shows its average per process, rounded.
fn rows(graph: &PlanGraph, id: NodeId) -> f64 {
    let mut current = id;
    for _ in 0..MAX_WRAPPERS {
        let Some(parent) = graph.parent(current) else {
            break;
        };
        let single_input = graph
            .children(parent)
            .into_iter()
            .filter(|&child| {
                !matches!(
                    graph.relationship(child),
                    Some(Relationship::InitPlan | Relationship::SubPlan)
                )
            })
            .count()
            == 1;
        if !single_input {
            break;
        }
        if matches!(&*graph.node(parent).node_type, "Gather" | "Gather Merge") {
            current = parent;
            break;
        }
        current = parent;
    }
    if !matches!(&*graph.node(current).node_type, "Gather" | "Gather Merge") {
        current = id;
    }
    let node = graph.node(current);
    match (node.actual_rows, node.actual_loops) {
        (Some(rows), Some(loops)) => rows * loops,
        _ => node.plan_rows.unwrap_or(0.0),
    }
}

/// The table access at `node`, or under it through single-input nodes.
fn site_under<'a>(graph: &PlanGraph, sites: &'a [ScanSite], node: NodeId) -> Option<&'a ScanSite> {
    let mut current = node;
    for _ in 0..=MAX_WRAPPERS {
        if let Some(site) = sites.iter().find(|site| site.node_id == current) {
            return Some(site);
        }
        let mut inputs = graph.children(current).into_iter().filter(|&child| {
            !matches!(
                graph.relationship(child),
                Some(Relationship::InitPlan | Relationship::SubPlan)
            )
        });
        let input = inputs.next()?;
        if inputs.next().is_some() {
            return None;
        }
        current = input;
    }
    None
}

/// The site's column in an equality of the join condition: the side qualified by one of the
/// names the plan gives the table (its alias, the alias its partitions derive theirs from,
/// the relation's name).
fn join_column(graph: &PlanGraph, site: &ScanSite, condition: &str) -> Option<String> {
    let mut names: Vec<String> = vec![site.relation.clone()];
    for &scan in &site.scans {
        let node = graph.node(scan);
        if let Some(alias) = node.alias.as_deref() {
            names.push(alias.to_owned());
            // PostgreSQL 13+ aliases partition scans `o_1`, `o_2`, ... after the query's `o`.
            if let Some((stem, number)) = alias.rsplit_once('_') {
                if number.chars().all(|c| c.is_ascii_digit()) {
                    names.push(stem.to_owned());
                }
            }
        }
        if let Some(relation) = node.relation_name.as_deref() {
            names.push(relation.to_owned());
        }
    }
    let conjuncts = parse_conjuncts(condition)?;
    conjuncts.iter().find_map(|conjunct| {
        let Expr::BinaryOp {
            left,
            op: BinaryOperator::Eq,
            right,
        } = strip(conjunct)
        else {
            return None;
        };
        [left, right]
            .into_iter()
            .find_map(|side| match strip(side) {
                Expr::CompoundIdentifier(parts) if parts.len() == 2 => names
                    .iter()
                    .any(|name| *name == parts[0].value)
                    .then(|| parts[1].value.clone()),
                _ => None,
            })
    })
}

fn strip(mut expr: &Expr) -> &Expr {
    while let Expr::Nested(inner) = expr {
        expr = inner;
    }
    expr
}
