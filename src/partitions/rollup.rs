//! Groups the scans of a plan by partitioned parent and counts what was pruned where.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use super::infer::{alias_stem, name_stem, parent_from_alias};
use super::order::in_partition_order;
use super::phases::{
    empty_scans, has_init_plans, limited_from_above, parameterized, skipped_at_runtime,
};
use crate::catalog::{Catalog, PartitionKey, Relation};
use crate::plan::{NodeId, PlanGraph, Relationship};

/// How deep planlint looks below an Append member for the scan it wraps
/// (Partial Aggregate > Seq Scan, Result > Sort > Index Scan, ...).
const MAX_WRAPPER_DEPTH: usize = 8;

/// Where the parent of a group of partition scans came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ParentSource {
    /// The catalog snapshot: exact.
    Catalog,
    /// PostgreSQL 13+'s aliases `parent_1`, `parent_2`, ... on the partition scans.
    AliasConvention,
    /// The partitions' common name stem (PostgreSQL 11-12 alias partitions by their own name).
    NameStem,
    /// The statement: an Append whose every partition was removed at executor start-up names
    /// none, and the statement reads one partitioned table; or PostgreSQL 12 named the
    /// partitions by themselves, and the statement names their parent.
    Statement,
}

/// A phase in which PostgreSQL removed partitions from the scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PruningPhase {
    /// The planner left partitions out of the plan.
    Plan,
    /// The executor removed subplans at start-up (`"Subplans Removed"`).
    Startup,
    /// Children were skipped while running (ANALYZE: fewer loops than their Append, or none).
    Runtime,
}

/// One place where a plan scans a partitioned table.
#[derive(Debug, Clone)]
pub struct PartitionScan {
    /// The Append or Merge Append over the partitions, or the lone partition scan when
    /// plan-time pruning left a single partition.
    pub node_id: NodeId,
    /// The partitioned table (the root of its partition tree when the catalog is known).
    pub parent: String,
    /// The parent's schema, when known.
    pub parent_schema: Option<String>,
    /// How the parent was determined.
    pub parent_source: ParentSource,
    /// The parent's partition key, from the catalog.
    pub partition_key: Option<PartitionKey>,
    /// The scan node of each partition read, in plan order.
    pub scans: Vec<NodeId>,
    /// The same scans in partition order: by bound when the catalog is known (the DEFAULT
    /// partition last), else by name with numbers compared as numbers. Labels name the first
    /// and the last.
    pub scans_in_order: Vec<NodeId>,
    /// Distinct partitions that appear in the plan.
    pub partitions_in_plan: usize,
    /// Leaf partitions of the parent, from the catalog.
    pub partitions_total: Option<usize>,
    /// Children removed at executor start-up.
    pub removed_at_startup: u64,
    /// Children that never ran (ANALYZE).
    pub never_executed: usize,
    /// Children that ran in fewer loops than their Append (ANALYZE), including never-executed ones.
    pub skipped_at_runtime: usize,
    /// Whether a Limit above could have stopped the scan early, so skipped children prove nothing.
    pub limited: bool,
    /// Whether the parent's default partition is among the partitions read (catalog only).
    pub default_in_plan: bool,
    /// Scans that returned no rows (ANALYZE) or are estimated to return at most one: reading
    /// them was needless for this query.
    pub empty_scans: usize,
    /// Whether run-time pruning may skip partitions although this plan (without ANALYZE)
    /// cannot show it: the scans compare the key with values from outside (a nested loop's
    /// outer side, an InitPlan, a parameter).
    pub runtime_pruning_possible: bool,
    /// The phases that removed partitions.
    pub pruned_at: Vec<PruningPhase>,
}

impl PartitionScan {
    /// Whether no phase pruned anything that the plan or the catalog can show.
    pub fn unpruned(&self) -> bool {
        self.pruned_at.is_empty()
    }

    /// The partition key as messages show it, e.g. `RANGE on order_id`, when the catalog has it.
    pub fn key_description(&self) -> Option<String> {
        self.partition_key.as_ref().map(|key| {
            format!(
                "{} on {}",
                key.strategy.to_uppercase(),
                key.columns.join(", ")
            )
        })
    }
}

/// An Append member: the member node and the relation scan it wraps.
struct Member {
    node: NodeId,
    scan: NodeId,
}

/// Finds every partitioned-table scan in the plan.
pub fn partition_scans(graph: &PlanGraph, catalog: Option<&Catalog>) -> Vec<PartitionScan> {
    partition_scans_of_statement(graph, catalog, &[])
}

/// [`partition_scans`], knowing the tables the statement reads (schema, name): an Append
/// whose every partition was removed at executor start-up shows no partition to name its
/// parent by, and gets the statement's partitioned table (the one the catalog says is
/// partitioned, or without a catalog the statement's only table); without the statement, the
/// catalog's one partitioned table with as many partitions as were removed.
pub fn partition_scans_of_statement(
    graph: &PlanGraph,
    catalog: Option<&Catalog>,
    statement_tables: &[(Option<String>, String)],
) -> Vec<PartitionScan> {
    let mut consumed = vec![false; graph.len()];
    let mut in_append = vec![false; graph.len()];
    let mut scans = Vec::new();
    let init_plans = has_init_plans(graph);
    for id in graph.ids() {
        if consumed[id.index()] || !holds_members(graph, id) {
            continue;
        }
        let (mut members, mut removed) = flatten_append(graph, id, &mut consumed);
        if is_placeholder(graph, id, &members, removed, init_plans) {
            // Counted as removed, and no lone survivor either.
            in_append[members[0].scan.index()] = true;
            members.clear();
            removed += 1;
        }
        if members.is_empty() && removed > 0 {
            let group = if statement_tables.is_empty() {
                catalog.and_then(|catalog| catalog_group(catalog, removed))
            } else {
                statement_group(catalog, statement_tables)
            };
            if let Some(group) = group {
                scans.push(finish(graph, catalog, id, group, removed, init_plans));
            }
            continue;
        }
        for member in &members {
            in_append[member.scan.index()] = true;
        }
        let groups = group_members(graph, catalog, members, statement_tables, removed > 0);
        let attribute_removed = groups.len() == 1;
        for group in groups {
            let removed = if attribute_removed { removed } else { 0 };
            scans.push(finish(graph, catalog, id, group, removed, init_plans));
        }
    }
    for id in graph.ids() {
        if in_append[id.index()] || !graph.node(id).is_relation_scan() {
            continue;
        }
        if let Some(group) = lone_survivor(graph, catalog, id, statement_tables) {
            scans.push(finish(graph, catalog, id, group, 0, init_plans));
        }
    }
    scans.sort_by_key(|scan| scan.node_id);
    scans
}

/// Whether the node's children include partition scans as members: an Append or Merge Append,
/// or on PostgreSQL 12 and 13 the ModifyTable of an UPDATE or DELETE of a partitioned table,
/// whose target partitions' scans are its own members (14+ put an Append under it).
fn holds_members(graph: &PlanGraph, id: NodeId) -> bool {
    let node = graph.node(id);
    node.is_append()
        || (&*node.node_type == "ModifyTable"
            && graph
                .children(id)
                .into_iter()
                .any(|child| graph.relationship(child) == Some(&Relationship::Member)))
}

/// Whether an Append's one member is the placeholder PostgreSQL 12 keeps when start-up
/// pruning removed every partition (13+ keep none): under EXPLAIN ANALYZE the Append ran, some
/// subplans were removed at start-up, and the one left never ran although nothing from outside
/// (a nested loop's outer row, an InitPlan) could have pruned it at run time. A plan without
/// ANALYZE cannot tell it from a partition that start-up pruning kept.
fn is_placeholder(
    graph: &PlanGraph,
    append: NodeId,
    members: &[Member],
    removed: u64,
    init_plans: bool,
) -> bool {
    let [member] = members else {
        return false;
    };
    let append_node = graph.node(append);
    removed > 0
        && append_node.actual_loops.is_some_and(|loops| loops > 0.0)
        && graph.node(member.node).never_executed()
        && !parameterized(graph, &[member.scan], None, init_plans)
}

/// The partitioned table the statement reads, for an Append left with no member.
fn statement_group<'c>(
    catalog: Option<&'c Catalog>,
    tables: &[(Option<String>, String)],
) -> Option<Group<'c>> {
    let (schema, name, root) = match catalog {
        Some(catalog) => {
            let mut partitioned = tables.iter().filter_map(|(schema, name)| {
                catalog
                    .find(schema.as_deref(), name)
                    .filter(|relation| relation.partition_key.is_some())
            });
            let root = partitioned.next()?;
            if partitioned.any(|other| other.qualified_name() != root.qualified_name()) {
                return None;
            }
            (Some(root.schema.clone()), root.name.clone(), Some(root))
        }
        None => match tables {
            [(schema, name)] => (schema.clone(), name.clone(), None),
            _ => return None,
        },
    };
    Some(Group {
        parent: name,
        parent_schema: schema,
        source: ParentSource::Statement,
        root,
        members: Vec::new(),
    })
}

/// Without the statement: the one partitioned table of the catalog with as many partitions as
/// were removed, when only one has that many.
fn catalog_group(catalog: &Catalog, removed: u64) -> Option<Group<'_>> {
    let mut fitting = catalog.relations().iter().filter(|relation| {
        relation.partition_key.is_some()
            && relation.parent.is_none()
            && catalog.leaf_partitions_of(relation).len() as u64 == removed
    });
    let root = fitting.next()?;
    if fitting.next().is_some() {
        return None;
    }
    Some(Group::of_root(root, Vec::new()))
}

/// The members of an Append, with nested Appends folded in (multi-level partitioning, UNION ALL
/// of partitioned tables), and the sum of their start-up removals.
fn flatten_append(graph: &PlanGraph, append: NodeId, consumed: &mut [bool]) -> (Vec<Member>, u64) {
    let mut members = Vec::new();
    let mut removed = 0;
    let mut pending = vec![append];
    while let Some(current) = pending.pop() {
        consumed[current.index()] = true;
        removed += graph.node(current).subplans_removed.unwrap_or(0);
        let children = graph.children(current);
        for &child in children.iter().rev() {
            if graph.relationship(child) != Some(&Relationship::Member) {
                continue;
            }
            if graph.node(child).is_append() {
                pending.push(child);
            } else if let Some(scan) = wrapped_scan(graph, child) {
                members.push(Member { node: child, scan });
            }
        }
    }
    members.sort_by_key(|member| member.node);
    (members, removed)
}

/// The relation scan a member is, or wraps through single-input nodes.
fn wrapped_scan(graph: &PlanGraph, member: NodeId) -> Option<NodeId> {
    let mut current = member;
    for _ in 0..MAX_WRAPPER_DEPTH {
        if graph.node(current).is_relation_scan() {
            return Some(current);
        }
        current = graph.single_input(current)?;
    }
    None
}

/// Members of one parent, before counting.
struct Group<'c> {
    parent: String,
    parent_schema: Option<String>,
    source: ParentSource,
    root: Option<&'c Relation>,
    members: Vec<Member>,
}

impl<'c> Group<'c> {
    /// The group of a partitioned table the catalog knows, `root`.
    fn of_root(root: &'c Relation, members: Vec<Member>) -> Self {
        Self {
            parent: root.name.clone(),
            parent_schema: Some(root.schema.clone()),
            source: ParentSource::Catalog,
            root: Some(root),
            members,
        }
    }
}

/// Splits an Append's members by parent table; members that are no partition are dropped.
/// Groups come in a stable order: the catalog's parents, then the inferred ones, each by name.
/// `pruned_at_startup`: the Append had subplans removed at start-up, which only partitioned
/// tables have.
fn group_members<'c>(
    graph: &PlanGraph,
    catalog: Option<&'c Catalog>,
    members: Vec<Member>,
    statement_tables: &[(Option<String>, String)],
    pruned_at_startup: bool,
) -> Vec<Group<'c>> {
    let mut by_root: BTreeMap<(&'c str, &'c str), Group<'c>> = BTreeMap::new();
    let mut by_alias: BTreeMap<String, Group<'c>> = BTreeMap::new();
    let mut unnumbered = Vec::new();
    for member in members {
        let node = graph.node(member.scan);
        let relation = node.relation_name.as_deref().unwrap_or_default();
        if let Some(root) = catalog_root(catalog, node.schema.as_deref(), relation) {
            by_root
                .entry((root.schema.as_str(), root.name.as_str()))
                .or_insert_with(|| Group::of_root(root, Vec::new()))
                .members
                .push(member);
            continue;
        }
        // PostgreSQL 12 aliases a partition scan by the partition's own name, numbered or not
        // (`measurements_2024_01`): only an alias that differs from the name follows the
        // `parent_N` convention.
        let Some(stem) = node
            .alias
            .as_deref()
            .filter(|&alias| alias != relation)
            .and_then(alias_stem)
            .filter(|&stem| stem != relation)
        else {
            unnumbered.push(member);
            continue;
        };
        // Looked up before inserting: 4,000 partitions share one stem, one allocation.
        match by_alias.get_mut(stem) {
            Some(group) => group.members.push(member),
            None => {
                by_alias.insert(
                    stem.to_owned(),
                    Group {
                        parent: stem.to_owned(),
                        parent_schema: node.schema.as_deref().map(str::to_owned),
                        source: ParentSource::AliasConvention,
                        root: None,
                        members: vec![member],
                    },
                );
            }
        }
    }
    let mut groups: Vec<Group> = by_root.into_values().collect();
    for mut group in by_alias.into_values() {
        let relations = group
            .members
            .iter()
            .filter_map(|m| graph.node(m.scan).relation_name.as_deref());
        group.parent = parent_from_alias(&group.parent, relations);
        groups.push(group);
    }
    group_by_name_stem(
        graph,
        unnumbered,
        &mut groups,
        statement_tables,
        pruned_at_startup,
    );
    for group in &mut groups {
        group.members.sort_by_key(|member| member.node);
    }
    groups
}

/// Members aliased by their own names (PostgreSQL 11-12) form one group when they are at least
/// two distinct relations sharing a name stem, or what is left of an Append that start-up
/// pruning cut down; a group with that parent absorbs them instead. The parent is the
/// statement's table whose name, followed by `_`, starts every member's name (the name stem of
/// `sales_2024_eu` and `sales_2024_us` is `sales_2024`, a sub-partitioned level, when the
/// statement reads `sales`), else the name stem.
fn group_by_name_stem(
    graph: &PlanGraph,
    members: Vec<Member>,
    groups: &mut Vec<Group>,
    statement_tables: &[(Option<String>, String)],
    pruned_at_startup: bool,
) {
    let relations: Vec<&str> = members
        .iter()
        .filter_map(|member| graph.node(member.scan).relation_name.as_deref())
        .collect();
    let mut distinct = relations.clone();
    distinct.sort_unstable();
    distinct.dedup();
    let Some(stem) = name_stem(distinct.iter().copied()) else {
        return;
    };
    let from_statement = statement_tables.iter().find(|(_, table)| {
        stem.starts_with(table.as_str())
            && distinct.iter().all(|relation| {
                relation
                    .strip_prefix(table.as_str())
                    .is_some_and(|rest| rest.starts_with('_') && rest.len() > 1)
            })
    });
    let (stem, source) = match from_statement {
        Some((_, table)) => (table.clone(), ParentSource::Statement),
        None => (stem, ParentSource::NameStem),
    };
    if let Some(group) = groups.iter_mut().find(|group| group.parent == stem) {
        group.members.extend(members);
    } else if distinct.len() >= 2 || (pruned_at_startup && !distinct.is_empty()) {
        groups.push(Group {
            parent: stem,
            parent_schema: graph
                .node(members[0].scan)
                .schema
                .as_deref()
                .map(str::to_owned),
            source,
            root: None,
            members,
        });
    }
}

/// The root partitioned table of `relation`, when the catalog knows it as a partition.
fn catalog_root<'c>(
    catalog: Option<&'c Catalog>,
    schema: Option<&str>,
    relation: &str,
) -> Option<&'c Relation> {
    let catalog = catalog?;
    let found = catalog.find(schema, relation)?;
    found.parent.as_ref()?;
    Some(catalog.root_of(found))
}

/// A partition scanned on its own, outside any Append: plan-time pruning left one partition.
///
/// PostgreSQL 13+ then keeps the parent's alias on the scan, so the alias differs from the
/// partition's name; a query that names a partition directly keeps the partition's name. 12
/// names the survivor by itself too, so there only the statement tells the two apart.
fn lone_survivor<'c>(
    graph: &PlanGraph,
    catalog: Option<&'c Catalog>,
    id: NodeId,
    statement_tables: &[(Option<String>, String)],
) -> Option<Group<'c>> {
    let node = graph.node(id);
    let relation = node.relation_name.as_deref()?;
    let alias = node.alias.as_deref()?;
    if alias == relation {
        return survivor_of_statement(graph, catalog, id, statement_tables);
    }
    let member = Member { node: id, scan: id };
    if let Some(root) = catalog_root(catalog, node.schema.as_deref(), relation) {
        return Some(Group::of_root(root, vec![member]));
    }
    if catalog.is_some_and(|catalog| catalog.find(node.schema.as_deref(), relation).is_some()) {
        // The catalog knows the relation and says it is no partition.
        return None;
    }
    let is_child_name = relation
        .strip_prefix(alias)
        .is_some_and(|rest| rest.starts_with('_') && rest.len() > 1);
    is_child_name.then(|| Group {
        parent: alias.to_owned(),
        parent_schema: node.schema.as_deref().map(str::to_owned),
        source: ParentSource::AliasConvention,
        root: None,
        members: vec![member],
    })
}

/// A partition scan aliased by its own name, outside any Append, read for a statement that
/// names its partitioned table and not the partition: PostgreSQL 12's lone survivor of
/// plan-time pruning. The parent is the catalog's root of the partition, or without a catalog
/// the statement's table whose name followed by `_` starts the partition's name.
fn survivor_of_statement<'c>(
    graph: &PlanGraph,
    catalog: Option<&'c Catalog>,
    id: NodeId,
    statement_tables: &[(Option<String>, String)],
) -> Option<Group<'c>> {
    let node = graph.node(id);
    let relation = node.relation_name.as_deref()?;
    let member = Member { node: id, scan: id };
    if statement_tables.iter().any(|(_, name)| name == relation) {
        return None;
    }
    if let Some(catalog) = catalog {
        let root = catalog_root(Some(catalog), node.schema.as_deref(), relation)?;
        let named = statement_tables.iter().any(|(schema, name)| {
            *name == root.name && schema.as_ref().is_none_or(|schema| *schema == root.schema)
        });
        return named.then(|| Group::of_root(root, vec![member]));
    }
    let (schema, parent) = statement_tables.iter().find(|(_, name)| {
        relation
            .strip_prefix(name.as_str())
            .is_some_and(|rest| rest.starts_with('_') && rest.len() > 1)
    })?;
    Some(Group {
        parent: parent.clone(),
        parent_schema: schema
            .clone()
            .or_else(|| node.schema.as_deref().map(str::to_owned)),
        source: ParentSource::Statement,
        root: None,
        members: vec![member],
    })
}

/// Counts a group's partitions and works out the pruning phases.
fn finish(
    graph: &PlanGraph,
    catalog: Option<&Catalog>,
    at: NodeId,
    group: Group,
    removed: u64,
    init_plans: bool,
) -> PartitionScan {
    let relations: HashSet<&str> = group
        .members
        .iter()
        .filter_map(|member| graph.node(member.scan).relation_name.as_deref())
        .collect();
    let partitions_in_plan = relations.len();

    let leaves = match (catalog, &group.root) {
        (Some(catalog), Some(root)) => Some(catalog.leaf_partitions_of(root)),
        _ => None,
    };
    let partitions_total = leaves.as_ref().map(Vec::len);
    let default_in_plan = leaves.as_ref().is_some_and(|leaves| {
        leaves
            .iter()
            .any(|leaf| leaf.is_default_partition() && relations.contains(leaf.name.as_str()))
    });

    let member_nodes: Vec<NodeId> = group.members.iter().map(|member| member.node).collect();
    let is_append = holds_members(graph, at);
    let never_executed = member_nodes
        .iter()
        .filter(|&&m| graph.node(m).never_executed())
        .count();
    let skipped = if is_append {
        skipped_at_runtime(graph, at, &member_nodes)
    } else {
        0
    };
    let limited = limited_from_above(graph, at);
    let scan_nodes: Vec<NodeId> = group.members.iter().map(|member| member.scan).collect();
    let analyzed = graph.node(at).is_analyzed();
    let key_columns = group
        .root
        .as_ref()
        .and_then(|root| root.partition_key.as_ref())
        .map(|key| key.columns.as_slice());
    let runtime_pruning_possible =
        is_append && !analyzed && parameterized(graph, &scan_nodes, key_columns, init_plans);

    let mut pruned_at = Vec::new();
    let planned = partitions_in_plan as u64 + removed;
    let pruned_in_planner = match partitions_total {
        Some(total) => planned < total as u64,
        // Without a catalog only a lone survivor shows that the planner pruned.
        None => !is_append,
    };
    if pruned_in_planner {
        pruned_at.push(PruningPhase::Plan);
    }
    if removed > 0 {
        pruned_at.push(PruningPhase::Startup);
    }
    if skipped > 0 && !limited {
        pruned_at.push(PruningPhase::Runtime);
    }

    PartitionScan {
        node_id: at,
        parent: group.parent,
        parent_schema: group.parent_schema,
        parent_source: group.source,
        partition_key: group.root.and_then(|root| root.partition_key.clone()),
        empty_scans: empty_scans(graph, &scan_nodes),
        runtime_pruning_possible,
        scans_in_order: in_partition_order(graph, catalog, &scan_nodes),
        scans: scan_nodes,
        partitions_in_plan,
        partitions_total,
        removed_at_startup: removed,
        never_executed,
        skipped_at_runtime: skipped,
        limited,
        default_in_plan,
        pruned_at,
    }
}
