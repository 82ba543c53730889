//! The order partitions are named in: by their bounds when the catalog has them (January
//! before December, `p2` before `p10`, the DEFAULT partition last), else by name with numbers
//! compared as numbers.

use std::cmp::Ordering;

use crate::catalog::{Catalog, Relation};
use crate::plan::{NodeId, PlanGraph};

/// `scans` sorted by their partitions' bounds (catalog), else by name.
pub(super) fn in_partition_order(
    graph: &PlanGraph,
    catalog: Option<&Catalog>,
    scans: &[NodeId],
) -> Vec<NodeId> {
    let name = |id: NodeId| graph.node(id).relation_name.as_deref().unwrap_or_default();
    let mut keyed: Vec<(Vec<BoundKey>, NodeId)> = scans
        .iter()
        .map(|&id| {
            let bounds = catalog
                .and_then(|catalog| {
                    let leaf = catalog.find(graph.node(id).schema.as_deref(), name(id))?;
                    Some(bound_chain(catalog, leaf))
                })
                .unwrap_or_default();
            (bounds, id)
        })
        .collect();
    keyed.sort_by(|(a, left), (b, right)| {
        compare_chains(a, b).then_with(|| natural_order(name(*left), name(*right)))
    });
    keyed.into_iter().map(|(_, id)| id).collect()
}

/// Where a partition's bound puts it among its siblings.
#[derive(Debug, Clone, PartialEq)]
enum BoundKey {
    /// MINVALUE, or a bound planlint cannot read.
    Lowest,
    Number(f64),
    Text(String),
    /// The DEFAULT partition.
    Default,
}

/// The bounds from the root's child down to `leaf`.
fn bound_chain(catalog: &Catalog, leaf: &Relation) -> Vec<BoundKey> {
    let mut chain = Vec::new();
    let mut current = Some(leaf);
    while let Some(relation) = current {
        let Some(bound) = relation.partition_bound.as_deref() else {
            break;
        };
        chain.push(bound_key(bound));
        current = catalog.parent_of(relation);
        if chain.len() > 64 {
            break; // a malformed snapshot with a cycle of parents
        }
    }
    chain.reverse();
    chain
}

/// `FOR VALUES FROM ('2024-03-01') TO (...)`: its lower bound; `IN ('eu', ...)`: its first
/// value; `WITH (MODULUS 8, REMAINDER 3)`: its remainder; `DEFAULT`: last.
fn bound_key(bound: &str) -> BoundKey {
    let bound = bound.trim();
    if bound == "DEFAULT" {
        return BoundKey::Default;
    }
    let lower = bound.to_ascii_lowercase();
    let first = if let Some(rest) = bound.strip_prefix("FOR VALUES FROM (") {
        rest.split(')').next().unwrap_or_default()
    } else if let Some(rest) = bound.strip_prefix("FOR VALUES IN (") {
        rest.split([',', ')']).next().unwrap_or_default()
    } else if let Some(rest) = lower.split("remainder ").nth(1) {
        return rest
            .trim_end_matches(')')
            .trim()
            .parse()
            .map_or(BoundKey::Lowest, BoundKey::Number);
    } else {
        return BoundKey::Lowest;
    };
    let value = first.split(',').next().unwrap_or_default().trim();
    if value.eq_ignore_ascii_case("MINVALUE") {
        return BoundKey::Lowest;
    }
    let unquoted = value.trim_matches('\'');
    match unquoted.parse::<f64>() {
        Ok(number) => BoundKey::Number(number),
        Err(_) => BoundKey::Text(unquoted.to_owned()),
    }
}

fn compare_chains(a: &[BoundKey], b: &[BoundKey]) -> Ordering {
    for (left, right) in a.iter().zip(b) {
        let order = compare_keys(left, right);
        if order.is_ne() {
            return order;
        }
    }
    a.len().cmp(&b.len())
}

fn compare_keys(a: &BoundKey, b: &BoundKey) -> Ordering {
    use BoundKey::{Default, Lowest, Number, Text};
    let rank = |key: &BoundKey| match key {
        Lowest => 0,
        Number(_) | Text(_) => 1,
        Default => 2,
    };
    match (a, b) {
        (Number(x), Number(y)) => x.total_cmp(y),
        (Text(x), Text(y)) => x.cmp(y),
        (Number(_), Text(_)) => Ordering::Less,
        (Text(_), Number(_)) => Ordering::Greater,
        _ => rank(a).cmp(&rank(b)),
    }
}

/// Compares names with their runs of digits as numbers: `p2` < `p10`, `2024_03` < `2024_12`.
fn natural_order(a: &str, b: &str) -> Ordering {
    fn chunks(text: &str) -> Vec<(bool, &str)> {
        let mut chunks = Vec::new();
        let mut start = 0;
        for (index, character) in text.char_indices() {
            let digit = character.is_ascii_digit();
            if index > start
                && text[start..index].starts_with(|c: char| c.is_ascii_digit()) != digit
            {
                chunks.push((!digit, &text[start..index]));
                start = index;
            }
        }
        if start < text.len() {
            chunks.push((
                text[start..].starts_with(|c: char| c.is_ascii_digit()),
                &text[start..],
            ));
        }
        chunks
    }
    let (left, right) = (chunks(a), chunks(b));
    for ((left_digits, left), (right_digits, right)) in left.iter().zip(&right) {
        let order = if *left_digits && *right_digits {
            let (l, r) = (left.trim_start_matches('0'), right.trim_start_matches('0'));
            l.len().cmp(&r.len()).then_with(|| l.cmp(r))
        } else {
            left.cmp(right)
        };
        if order.is_ne() {
            return order;
        }
    }
    left.len().cmp(&right.len()).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_order_partitions_as_their_ranges_do() {
        let mut keys = [
            bound_key("DEFAULT"),
            bound_key("FOR VALUES FROM ('2024-12-01 00:00:00+00') TO ('2025-01-01 00:00:00+00')"),
            bound_key("FOR VALUES FROM ('2024-03-01 00:00:00+00') TO ('2024-04-01 00:00:00+00')"),
            bound_key("FOR VALUES FROM (MINVALUE) TO ('2024-01-01')"),
        ];
        keys.sort_by(compare_keys);
        assert_eq!(keys[0], BoundKey::Lowest);
        assert_eq!(keys[1], BoundKey::Text("2024-03-01 00:00:00+00".into()));
        assert_eq!(keys[3], BoundKey::Default);
        assert_eq!(
            bound_key("FOR VALUES FROM ('50001') TO ('100001')"),
            BoundKey::Number(50001.0)
        );
        assert_eq!(
            bound_key("FOR VALUES WITH (modulus 8, remainder 3)"),
            BoundKey::Number(3.0)
        );
        assert_eq!(
            bound_key("FOR VALUES WITH (MODULUS 8, REMAINDER 3)"),
            BoundKey::Number(3.0)
        );
    }

    #[test]
    fn partition_names_sort_with_their_numbers_as_numbers() {
        let mut names = vec![
            "orders_p10",
            "orders_p2",
            "orders_p1",
            "sales_2024_12",
            "sales_2024_03",
        ];
        names.sort_by(|a, b| natural_order(a, b));
        assert_eq!(
            names,
            [
                "orders_p1",
                "orders_p2",
                "orders_p10",
                "sales_2024_03",
                "sales_2024_12"
            ]
        );
    }
}
