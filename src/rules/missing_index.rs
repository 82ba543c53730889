//! `missing-index`: a scan whose filter discards most rows on columns no index serves.

use super::context::{Context, Draft, Sink};
use super::join_keys::join_key_needs;
use super::settings::RuleSettings;
use super::sites::{catalog_relation, Basis, ScanSite, Volume};
use crate::catalog::{Catalog, Index, Relation};
use crate::numbers::{count, percent};
use crate::plan::{NodeId, PlanGraph};
use crate::sql::{
    create_index, create_partitioned_index, index_columns, index_columns_per_arm, index_name,
    qualify, IndexColumns, IndexKey, TableRef,
};

/// Flags selective filters on large sequential scans, and joins that read a large table in
/// full for a few of its rows, and writes the index that serves them.
pub fn check(context: &Context<'_>, settings: &RuleSettings, sink: &mut Sink<'_>) {
    let mut reported: Vec<NodeId> = Vec::new();
    let mut invalid_reported: Vec<(NodeId, String)> = Vec::new();
    // Each table access's filter keys, so that one index serves several filters of a table.
    let all_keys: Vec<(&str, Vec<IndexKey>)> = context
        .sites
        .iter()
        .filter_map(|site| {
            let node = context.graph.node(*site.filtered_seq_scans.nodes.first()?);
            let columns = index_columns(node.filter.as_deref()?)?;
            Some((
                site.relation.as_str(),
                columns.keys().into_iter().cloned().collect(),
            ))
        })
        .collect();
    for site in context.sites {
        let (filtered, Some(volume)) = (
            &site.filtered_seq_scans.nodes,
            site.filtered_seq_scans.volume,
        ) else {
            continue;
        };
        let Some(filter) = context.graph.node(filtered[0]).filter.as_deref() else {
            continue;
        };
        let discarded = volume.discard_fraction.unwrap_or(0.0);
        if volume.table_rows < settings.threshold("min_rows")
            || discarded < settings.threshold("min_discard_fraction")
        {
            continue;
        }
        let Some(columns) = index_columns(filter).filter(|columns| !columns.is_empty()) else {
            if let Some(arms) = index_columns_per_arm(filter) {
                if report_or_arms(context, settings, site, filter, &volume, &arms, sink) {
                    reported.push(site.node_id);
                }
            }
            continue;
        };
        let catalog_table = context
            .catalog
            .and_then(|catalog| catalog.find(site.schema.as_deref(), &site.relation));
        let keys = match (context.catalog, catalog_table, site.partition_scan) {
            (Some(catalog), Some(table), Some(_)) => {
                match without_partition_keys(catalog, table, columns.keys()) {
                    Some(keys) => keys,
                    None => continue,
                }
            }
            _ => columns.keys(),
        };
        if catalog_table.is_some_and(|table| has_index_leading_with(table, keys[0])) {
            continue;
        }
        // Another filter of the same table that starts with these keys and goes on: its index
        // serves this filter too, so both get that one index.
        let wider = all_keys
            .iter()
            .filter(|(relation, other)| {
                *relation == site.relation
                    && other.len() > keys.len()
                    && keys.iter().zip(other.iter()).all(|(a, b)| *a == b)
            })
            .max_by_key(|(_, other)| other.len());
        let also = if wider.is_some() {
            format!(
                " It serves the other filter of {} as well: one index for both.",
                site.relation
            )
        } else {
            String::new()
        };
        let keys: Vec<&IndexKey> = match wider {
            Some((_, other)) => other.iter().collect(),
            None => keys,
        };
        let key_names: Vec<&str> = keys.iter().map(|key| key.sql.as_str()).collect();
        if let (Some(catalog), Some(table), Some(_)) =
            (context.catalog, catalog_table, site.partition_scan)
        {
            if let Some(invalid) = invalid_index_on(table, &keys) {
                report_invalid_index(catalog, settings, site, table, invalid, &keys, sink);
                reported.push(site.node_id);
                invalid_reported.push((site.node_id, invalid.name.clone()));
                continue;
            }
        }
        let fix_sql = match site.partition_scan {
            None => create_index(&plain_table(context, site, filtered), &keys),
            Some(_) => partitioned_index_sql(context, site, catalog_table, &keys),
        };
        let checked = if context.catalog.is_some() {
            format!("no index on {} starts with {}", site.relation, key_names[0])
        } else {
            "existing indexes are unknown without a catalog snapshot (--catalog)".to_owned()
        };
        sink.report(Draft {
            node: if filtered.len() == 1 {
                filtered[0]
            } else {
                site.node_id
            },
            severity: settings.severity,
            relation: Some(site.relation.clone()),
            message: format!(
                "filter {filter} discards {} of the rows read from {}{}; {checked}",
                percent(discarded),
                site.relation,
                rows_read(&volume, site.partition_scan.map(|_| filtered.len()))
            ),
            suggestion: format!(
                "Create an index on {} ({}){}.{also}",
                site.relation,
                key_names.join(", "),
                how_to_build(site)
            ),
            fix_sql: Some(fix_sql),
            diagnosis: None,
        });
        reported.push(site.node_id);
    }
    report_other_invalid_indexes(context, settings, &invalid_reported, sink);
    let min_rows = settings.threshold("min_rows");
    let min_discard = settings.threshold("min_discard_fraction");
    for need in join_key_needs(context, min_rows, min_discard) {
        let site = need.site;
        if reported.contains(&site.node_id) {
            continue;
        }
        let key = IndexKey {
            sql: need.column.clone(),
            expression: false,
        };
        let catalog_table = context
            .catalog
            .and_then(|catalog| catalog.find(site.schema.as_deref(), &site.relation));
        if catalog_table.is_some_and(|table| has_index_leading_with(table, &key)) {
            continue;
        }
        let scans = &site.seq_scans.nodes;
        let fix_sql = match site.partition_scan {
            None => create_index(&plain_table(context, site, scans), &[&key]),
            Some(_) => partitioned_index_sql(context, site, catalog_table, &[&key]),
        };
        let checked = if context.catalog.is_some() {
            format!("no index on {} starts with {}", site.relation, key.sql)
        } else {
            "existing indexes are unknown without a catalog snapshot (--catalog)".to_owned()
        };
        let share = need.join_rows / need.volume.table_rows.max(1.0);
        sink.report(Draft {
            node: if scans.len() == 1 { scans[0] } else { site.node_id },
            severity: settings.severity,
            relation: Some(site.relation.clone()),
            message: format!(
                "the {} on {}.{} reads all of {}{} to match about {} of its rows ({}); {checked}",
                need.method.to_lowercase(),
                site.relation,
                key.sql,
                site.relation,
                rows_read(&need.volume, site.partition_scan.map(|_| scans.len())),
                count(need.join_rows),
                percent(share)
            ),
            suggestion: format!(
                "Create an index on {} ({}), the join key, so the planner can look the matching rows up (a nested \
                 loop with an index scan) instead of reading the table in full{}.",
                site.relation,
                key.sql,
                how_to_build(site)
            ),
            fix_sql: Some(fix_sql),
            diagnosis: None,
        });
        reported.push(site.node_id);
    }
}

/// The index on the partitioned `table` with exactly `keys` that is not valid: created ON
/// ONLY the parent, and not (yet) built and attached on every partition. The planner does not
/// use it, and building it again from scratch fails on its name.
fn invalid_index_on<'c>(table: &'c Relation, keys: &[&IndexKey]) -> Option<&'c Index> {
    table
        .indexes
        .iter()
        .find(|index| !index.valid && index.predicate.is_none() && same_keys(&index.columns, keys))
}

fn same_keys(columns: &[String], keys: &[&IndexKey]) -> bool {
    columns.len() == keys.len()
        && columns
            .iter()
            .zip(keys)
            .all(|(column, key)| normalize(column) == normalize(&key.sql))
}

/// Reports the invalid index with the DDL that completes it: an index on each partition that
/// lacks one with the same keys, and an ATTACH for every partition (attaching an index that
/// already is attached does nothing).
fn report_invalid_index(
    catalog: &Catalog,
    settings: &RuleSettings,
    site: &ScanSite,
    table: &Relation,
    invalid: &Index,
    keys: &[&IndexKey],
    sink: &mut Sink<'_>,
) {
    let partitions = catalog.partitions_of(table);
    let multi_level = partitions
        .iter()
        .any(|partition| partition.partition_key.is_some());
    let parent_index = qualify(Some(&table.schema), &invalid.name);
    let mut creates = Vec::new();
    let mut attaches = Vec::new();
    let mut missing = 0;
    for partition in &partitions {
        let existing = partition
            .indexes
            .iter()
            .find(|index| index.predicate.is_none() && same_keys(&index.columns, keys));
        let name = match existing {
            Some(index) => index.name.clone(),
            None => {
                missing += 1;
                let partition_ref = TableRef {
                    schema: Some(partition.schema.clone()),
                    name: partition.name.clone(),
                    parent: None,
                    partitioned: false,
                };
                creates.push(create_index(&partition_ref, keys));
                index_name(&partition.name, keys)
            }
        };
        attaches.push(format!(
            "ALTER INDEX {parent_index} ATTACH PARTITION {};",
            qualify(Some(&partition.schema), &name)
        ));
    }
    let fix_sql = (!multi_level).then(|| [creates, attaches].concat().join("\n"));
    sink.report(Draft {
        node: site.node_id,
        severity: settings.severity,
        relation: Some(site.relation.clone()),
        message: format!(
            "the index {} on {} ({}) is invalid: {missing} of its {} partitions have no index of their own attached \
             to it, so the planner cannot use it",
            invalid.name,
            site.relation,
            invalid.columns.join(", "),
            partitions.len()
        ),
        suggestion: if fix_sql.is_some() {
            format!(
                "Complete the index: build it on each partition that lacks it, concurrently, and attach every \
                 partition's index to {}; then it becomes valid.",
                invalid.name
            )
        } else {
            format!(
                "Complete the index on every level of the partition tree (CREATE INDEX ... ON ONLY each \
                 sub-partitioned table, CREATE INDEX CONCURRENTLY on each leaf, ALTER INDEX ... ATTACH PARTITION \
                 at each level), or drop {} and build it again.",
                invalid.name
            )
        },
        fix_sql,
        diagnosis: None,
    });
}

/// Every other invalid index on a partitioned table the plan reads: each is a finding of its
/// own, with the DDL that completes it, whatever the query filters on.
fn report_other_invalid_indexes(
    context: &Context<'_>,
    settings: &RuleSettings,
    reported: &[(NodeId, String)],
    sink: &mut Sink<'_>,
) {
    let Some(catalog) = context.catalog else {
        return;
    };
    for site in context.sites {
        if site.partition_scan.is_none() {
            continue;
        }
        let Some(table) = catalog.find(site.schema.as_deref(), &site.relation) else {
            continue;
        };
        for invalid in table
            .indexes
            .iter()
            .filter(|index| !index.valid && index.predicate.is_none())
            .filter(|index| !reported.contains(&(site.node_id, index.name.clone())))
        {
            let keys: Vec<IndexKey> = invalid
                .columns
                .iter()
                .map(|column| IndexKey {
                    sql: column.clone(),
                    expression: column.contains('('),
                })
                .collect();
            let keys: Vec<&IndexKey> = keys.iter().collect();
            report_invalid_index(catalog, settings, site, table, invalid, &keys, sink);
        }
    }
}

/// An OR whose arms filter different columns: a BitmapOr serves it with one index per arm, so
/// each arm no index serves gets its own. Returns whether it reported.
fn report_or_arms(
    context: &Context<'_>,
    settings: &RuleSettings,
    site: &ScanSite,
    filter: &str,
    volume: &Volume,
    arms: &[IndexColumns],
    sink: &mut Sink<'_>,
) -> bool {
    let filtered = &site.filtered_seq_scans.nodes;
    let catalog_table = context
        .catalog
        .and_then(|catalog| catalog.find(site.schema.as_deref(), &site.relation));
    let mut missing: Vec<Vec<&IndexKey>> = Vec::new();
    for arm in arms {
        let keys = arm.keys();
        if catalog_table.is_some_and(|table| has_index_leading_with(table, keys[0])) {
            continue;
        }
        if !missing.iter().any(|known| known[0] == keys[0]) {
            missing.push(keys);
        }
    }
    if missing.is_empty() {
        return false;
    }
    let fix_sql: Vec<String> = missing
        .iter()
        .map(|keys| match site.partition_scan {
            None => create_index(&plain_table(context, site, filtered), keys),
            Some(_) => partitioned_index_sql(context, site, catalog_table, keys),
        })
        .collect();
    let indexes: Vec<String> = missing
        .iter()
        .map(|keys| {
            let names: Vec<&str> = keys.iter().map(|key| key.sql.as_str()).collect();
            format!("({})", names.join(", "))
        })
        .collect();
    let checked = if context.catalog.is_some() {
        let firsts: Vec<&str> = missing.iter().map(|keys| keys[0].sql.as_str()).collect();
        format!(
            "no index on {} starts with {}",
            site.relation,
            firsts.join(" or ")
        )
    } else {
        "existing indexes are unknown without a catalog snapshot (--catalog)".to_owned()
    };
    sink.report(Draft {
        node: if filtered.len() == 1 { filtered[0] } else { site.node_id },
        severity: settings.severity,
        relation: Some(site.relation.clone()),
        message: format!(
            "filter {filter} discards {} of the rows read from {}{}; its OR needs an index for each arm, and {checked}",
            percent(volume.discard_fraction.unwrap_or(0.0)),
            site.relation,
            rows_read(volume, site.partition_scan.map(|_| filtered.len()))
        ),
        suggestion: format!(
            "Create an index for each arm of the OR on {}: {}; the planner combines them with a BitmapOr. Or split the \
             query into a UNION ALL of one query per arm.",
            site.relation,
            indexes.join(" and ")
        ),
        fix_sql: Some(fix_sql.join("\n")),
        diagnosis: None,
    });
    true
}

/// How the suggested index is built without blocking writes.
fn how_to_build(site: &ScanSite) -> &'static str {
    if site.partition_scan.is_some() {
        ": on a partitioned table, build it on each partition concurrently and attach it to the parent's index"
    } else {
        ", built CONCURRENTLY so writes go on"
    }
}

/// The index keys a DBA would choose on a partitioned table: without the LIST partition keys
/// (at any level of the tree), which are constant, or nearly, inside each partition; and `None`
/// when only partition key columns are left: the filter already compares the bare key, so an
/// index on it is not what is missing (pruning failed for a reason unpruned-partitions gives).
fn without_partition_keys<'a>(
    catalog: &Catalog,
    table: &Relation,
    keys: Vec<&'a IndexKey>,
) -> Option<Vec<&'a IndexKey>> {
    let mut list_keys = Vec::new();
    let mut other_keys = Vec::new();
    let mut pending = vec![table];
    while let Some(relation) = pending.pop() {
        if let Some(key) = &relation.partition_key {
            let columns = key.columns.iter().map(|column| normalize(column));
            if key.strategy == "list" {
                list_keys.extend(columns);
            } else {
                other_keys.extend(columns);
            }
        }
        if pending.len() + list_keys.len() + other_keys.len() > catalog.relations().len() {
            break; // a malformed snapshot with a cycle of parents
        }
        pending.extend(
            catalog
                .partitions_of(relation)
                .into_iter()
                .filter(|child| child.partition_key.is_some()),
        );
    }
    let kept: Vec<&IndexKey> = keys
        .into_iter()
        .filter(|key| !list_keys.contains(&normalize(&key.sql)))
        .collect();
    let only_partition_keys = kept
        .iter()
        .all(|key| other_keys.contains(&normalize(&key.sql)));
    (!only_partition_keys).then_some(kept)
}

/// ` (400,000 rows over 8 partitions)`: the table's size as seq-scan gives it (the catalog's,
/// else counted, else estimated with `about`), and how many times it was read when more than
/// once (a scan repeated in each parallel worker or loop).
fn rows_read(volume: &Volume, partitions: Option<usize>) -> String {
    let about = if volume.table_basis == Basis::Estimated {
        "about "
    } else {
        ""
    };
    let rows = volume.table_rows;
    let passes = volume
        .rows_read
        .filter(|_| rows > 0.0)
        .map_or(1.0, |read| (read / rows).round());
    let times = if passes >= 2.0 {
        format!(", read {passes} times")
    } else {
        String::new()
    };
    match partitions {
        Some(1) => format!(" ({about}{} rows from 1 partition{times})", count(rows)),
        Some(partitions) => format!(
            " ({about}{} rows over {partitions} partitions{times})",
            count(rows)
        ),
        None => format!(" ({about}{} rows{times})", count(rows)),
    }
}

/// Whether a valid index on `table` has `key` as its first column.
fn has_index_leading_with(table: &Relation, key: &IndexKey) -> bool {
    let wanted = normalize(&key.sql);
    table
        .indexes
        .iter()
        .filter(|index| index.valid && index.predicate.is_none())
        .any(|index| {
            index
                .columns
                .first()
                .is_some_and(|first| normalize(first) == wanted)
        })
}

/// Compares index keys regardless of quoting, case, spaces and parentheses.
fn normalize(sql: &str) -> String {
    sql.chars()
        .filter(|c| !matches!(c, ' ' | '(' | ')' | '"'))
        .flat_map(char::to_lowercase)
        .collect()
}

fn plain_table(context: &Context<'_>, site: &ScanSite, scans: &[NodeId]) -> TableRef {
    let schema = catalog_relation(context.catalog, context.graph.node(scans[0]))
        .map(|relation| relation.schema.clone())
        .or_else(|| site.schema.clone());
    TableRef {
        schema,
        name: site.relation.clone(),
        parent: None,
        partitioned: false,
    }
}

/// DDL for a partitioned table: every partition from the catalog, or the ones in the plan.
fn partitioned_index_sql(
    context: &Context<'_>,
    site: &ScanSite,
    parent: Option<&Relation>,
    keys: &[&IndexKey],
) -> String {
    match (context.catalog, parent) {
        (Some(catalog), Some(parent)) => {
            create_partitioned_index(&catalog_tree(catalog, parent), keys)
        }
        _ => {
            let tables = plan_tree(context.graph, site);
            format!(
                "-- The plan shows {} partitions of {}; partitions pruned from it need the same CREATE INDEX and\n\
                 -- ATTACH before the parent's index becomes valid. Pass --catalog to have them all listed.\n{}",
                tables.len() - 1,
                site.relation,
                create_partitioned_index(&tables, keys)
            )
        }
    }
}

/// The partition tree under `root` from the catalog, each table after its parent.
fn catalog_tree(catalog: &Catalog, root: &Relation) -> Vec<TableRef> {
    let mut tables = Vec::new();
    let mut pending: Vec<(&Relation, Option<usize>)> = vec![(root, None)];
    while let Some((relation, parent)) = pending.pop() {
        let position = tables.len();
        let partitions = catalog.partitions_of(relation);
        tables.push(TableRef {
            schema: Some(relation.schema.clone()),
            name: relation.name.clone(),
            parent,
            partitioned: !partitions.is_empty() || relation.partition_key.is_some(),
        });
        pending.extend(
            partitions
                .into_iter()
                .rev()
                .map(|child| (child, Some(position))),
        );
        if tables.len() > catalog.relations().len() {
            break; // a malformed snapshot with a cycle of parents
        }
    }
    tables
}

/// The parent and the partitions the plan scans, when no catalog tells the whole tree.
fn plan_tree(graph: &PlanGraph, site: &ScanSite) -> Vec<TableRef> {
    let mut tables = vec![TableRef {
        schema: site.schema.clone(),
        name: site.relation.clone(),
        parent: None,
        partitioned: true,
    }];
    let mut seen = std::collections::HashSet::new();
    for &id in &site.scans {
        let node = graph.node(id);
        if let Some(name) = node
            .relation_name
            .as_deref()
            .filter(|name| seen.insert(*name))
        {
            tables.push(TableRef {
                schema: node.schema.as_deref().map(str::to_owned),
                name: name.to_owned(),
                parent: Some(0),
                partitioned: false,
            });
        }
    }
    tables
}
