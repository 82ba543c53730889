//! Table accesses: the scans of one partitioned table taken together, or a single scan.
//!
//! Rules about scans judge a partitioned table once, not once per partition, so a plan over
//! 4,000 partitions gives one finding, not 4,000.

use crate::catalog::{Catalog, Relation};
use crate::partitions::PartitionScan;
use crate::plan::{NodeId, PlanGraph, PlanNode};

/// PostgreSQL's default `cpu_tuple_cost`.
const CPU_TUPLE_COST: f64 = 0.01;
/// PostgreSQL's default `cpu_operator_cost`.
const CPU_OPERATOR_COST: f64 = 0.0025;
/// A heap page's usable size, and each tuple's header and line pointer, in bytes.
const PAGE_BYTES: f64 = 8192.0;
const TUPLE_OVERHEAD_BYTES: f64 = 28.0;
/// PostgreSQL's default `min_parallel_table_scan_size` (8 MB), in pages.
const MIN_PARALLEL_TABLE_SCAN_PAGES: f64 = 1024.0;

/// One access to a table: a partitioned table's scans, or one scan of a plain table.
#[derive(Debug, Clone)]
pub struct ScanSite {
    /// The Append over the partitions, or the scan itself.
    pub node_id: NodeId,
    /// The table: the partitioned parent, or the scanned relation.
    pub relation: String,
    /// Its schema, when known.
    pub schema: Option<String>,
    /// Index into the plan's partition scans, for a partitioned table.
    pub partition_scan: Option<usize>,
    /// The scan nodes, in plan order.
    pub scans: Vec<NodeId>,
    /// The sequential scans among them, and how much they read.
    pub seq_scans: Measured,
    /// The sequential scans that apply a filter, and how much they read.
    pub filtered_seq_scans: Measured,
}

/// Some of a site's scans with their volume, measured once for every rule that asks.
#[derive(Debug, Clone)]
pub struct Measured {
    /// The scans, in plan order.
    pub nodes: Vec<NodeId>,
    /// What they read and kept; `None` when `nodes` is empty.
    pub volume: Option<Volume>,
}

impl Measured {
    /// Measures the scans among `scans` that `keep` accepts.
    fn of(
        graph: &PlanGraph,
        catalog: Option<&Catalog>,
        scans: &[NodeId],
        keep: impl Fn(&PlanNode) -> bool,
    ) -> Self {
        let nodes: Vec<NodeId> = scans
            .iter()
            .copied()
            .filter(|&id| keep(graph.node(id)))
            .collect();
        let volume = (!nodes.is_empty()).then(|| volume(graph, catalog, &nodes));
        Self { nodes, volume }
    }
}

impl ScanSite {
    /// The relation name as SQL should name it: schema-qualified when the schema is known.
    pub fn qualified_relation(&self) -> String {
        crate::sql::qualify(self.schema.as_deref(), &self.relation)
    }
}

/// Lists the plan's table accesses: partitioned-table scans first-class, every other
/// relation scan on its own, each with the volume of its sequential scans.
pub fn scan_sites(
    graph: &PlanGraph,
    partitions: &[PartitionScan],
    catalog: Option<&Catalog>,
) -> Vec<ScanSite> {
    let mut covered = vec![false; graph.len()];
    let mut sites = Vec::new();
    for (index, scan) in partitions.iter().enumerate() {
        for node in &scan.scans {
            covered[node.index()] = true;
        }
        sites.push(site(
            graph,
            catalog,
            scan.node_id,
            (scan.parent.clone(), scan.parent_schema.clone()),
            Some(index),
            scan.scans.clone(),
        ));
    }
    for id in graph.ids() {
        let node = graph.node(id);
        if covered[id.index()] || !node.is_relation_scan() {
            continue;
        }
        let relation = (
            node.relation_name.as_deref().unwrap_or_default().to_owned(),
            node.schema.as_deref().map(str::to_owned),
        );
        sites.push(site(graph, catalog, id, relation, None, vec![id]));
    }
    sites.sort_by_key(|site| site.node_id);
    sites
}

/// One site, its sequential scans measured.
fn site(
    graph: &PlanGraph,
    catalog: Option<&Catalog>,
    node_id: NodeId,
    (relation, schema): (String, Option<String>),
    partition_scan: Option<usize>,
    scans: Vec<NodeId>,
) -> ScanSite {
    let mut seq_scans = Measured::of(graph, catalog, &scans, |node| node.node_type == "Seq Scan");
    if seq_scans.nodes.len() == scans.len() {
        if let (Some(volume), Some(gathered)) =
            (seq_scans.volume.as_mut(), gathered_rows(graph, node_id))
        {
            volume.count_returned(gathered);
        }
    }
    let filtered_seq_scans = if seq_scans
        .nodes
        .iter()
        .all(|&id| graph.node(id).filter.is_some())
    {
        seq_scans.clone()
    } else {
        Measured::of(graph, catalog, &seq_scans.nodes, |node| {
            node.filter.is_some()
        })
    };
    ScanSite {
        node_id,
        relation,
        schema,
        partition_scan,
        scans,
        seq_scans,
        filtered_seq_scans,
    }
}

/// Where a row count came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// `pg_class.reltuples` from the catalog.
    Catalog,
    /// Rows counted by EXPLAIN ANALYZE.
    Measured,
    /// The planner's estimates.
    Estimated,
}

/// How much a set of scans read and kept.
#[derive(Debug, Clone, Copy)]
pub struct Volume {
    /// Rows in the scanned tables (one pass).
    pub table_rows: f64,
    /// Where `table_rows` came from.
    pub table_basis: Basis,
    /// Share of the rows read that the filters discarded, when known.
    pub discard_fraction: Option<f64>,
    /// Rows read over all loops (ANALYZE), when measured.
    pub rows_read: Option<f64>,
    /// Rows kept over all loops (ANALYZE), when measured.
    pub rows_returned: Option<f64>,
}

impl Volume {
    /// Takes `returned` as the exact count of rows kept: a parallel scan's ANALYZE counts are
    /// averages per process, rounded, so their sum can miss a row or two that the Gather above
    /// counts exactly. The rows read move by as much, and the discarded share follows.
    fn count_returned(&mut self, returned: f64) {
        let (Some(read), Some(old)) = (self.rows_read, self.rows_returned) else {
            return;
        };
        let read = (read - old + returned).max(returned);
        self.rows_read = Some(read);
        self.rows_returned = Some(returned);
        if self.discard_fraction.is_some_and(|fraction| fraction > 0.0) && read > 0.0 {
            self.discard_fraction = Some(1.0 - returned / read);
        }
        if self.table_basis == Basis::Measured {
            self.table_rows = read;
        }
    }
}

/// The exact rows a parallel table access returned, under ANALYZE: the count of the Gather
/// right above it (through Appends, which pass rows on unchanged).
fn gathered_rows(graph: &PlanGraph, site: NodeId) -> Option<f64> {
    if !graph.node(site).parallel_aware && !graph.node(site).is_append() {
        return None;
    }
    let mut current = site;
    loop {
        let parent = graph.parent(current)?;
        let node = graph.node(parent);
        match &*node.node_type {
            "Gather" | "Gather Merge" if node.filter.is_none() => {
                return node
                    .actual_rows
                    .zip(node.actual_loops)
                    .map(|(rows, loops)| rows * loops);
            }
            "Append" if node.filter.is_none() => current = parent,
            _ => return None,
        }
    }
}

/// Measures the scans `nodes` (all of one table access).
fn volume(graph: &PlanGraph, catalog: Option<&Catalog>, nodes: &[NodeId]) -> Volume {
    let catalog_rows: Option<f64> = nodes
        .iter()
        .map(|&id| {
            catalog_relation(catalog, graph.node(id))
                .map(|relation| relation.reltuples)
                .filter(|rows| *rows >= 0.0)
        })
        .sum();
    let analyzed = nodes.iter().all(|&id| graph.node(id).is_analyzed());
    let (mut read, mut returned, mut table) = (0.0, 0.0, 0.0);
    let (mut estimated_out, mut estimated_table) = (0.0, 0.0);
    for &id in nodes {
        let node = graph.node(id);
        if analyzed {
            let loops = node.actual_loops.unwrap_or(0.0);
            let kept = node.actual_rows.unwrap_or(0.0) * loops;
            let removed = node.rows_removed_by_filter.unwrap_or(0.0) * loops;
            read += kept + removed;
            returned += kept;
            // A parallel scan splits one pass over its processes; other loops repeat the pass.
            let passes = if node.parallel_aware {
                1.0
            } else {
                loops.max(1.0)
            };
            table += (kept + removed) / passes;
        }
        let divisor = parallel_divisor(graph, id);
        let out = node.plan_rows.unwrap_or(0.0) * divisor;
        estimated_out += out;
        estimated_table += out.max(rows_from_cost(node, divisor));
    }
    let (table_rows, table_basis) = match (catalog_rows, analyzed) {
        (Some(rows), _) => (rows, Basis::Catalog),
        (None, true) => (table, Basis::Measured),
        (None, false) => (estimated_table, Basis::Estimated),
    };
    let has_filter = nodes.iter().any(|&id| graph.node(id).filter.is_some());
    let discard_fraction = if !has_filter {
        Some(0.0)
    } else if analyzed {
        (read > 0.0).then(|| 1.0 - returned / read)
    } else {
        let base = if table_basis == Basis::Catalog {
            table_rows
        } else {
            estimated_table
        };
        (base > 0.0).then(|| (1.0 - estimated_out / base).clamp(0.0, 1.0))
    };
    Volume {
        table_rows,
        table_basis,
        discard_fraction,
        rows_read: analyzed.then_some(read),
        rows_returned: analyzed.then_some(returned),
    }
}

/// The catalog's entry for a scan's relation.
pub fn catalog_relation<'a>(catalog: Option<&'a Catalog>, node: &PlanNode) -> Option<&'a Relation> {
    catalog?.find(node.schema.as_deref(), node.relation_name.as_deref()?)
}

/// How the planner splits a parallel scan's rows between processes (its `parallel_divisor`):
/// one share per planned worker, plus what the leader contributes besides gathering.
///
/// Under a Parallel Append each partition's partial scan was planned with workers of its own,
/// which the plan does not print: PostgreSQL gives a partition one worker, and one more each
/// time its size triples past `min_parallel_table_scan_size` (1,024 pages), up to the Gather's.
/// The size comes from the scan's cost with one worker.
fn parallel_divisor(graph: &PlanGraph, id: NodeId) -> f64 {
    let node = graph.node(id);
    if !node.parallel_aware {
        return 1.0;
    }
    let gather_workers = graph
        .ancestors(id)
        .find_map(|ancestor| graph.node(ancestor).workers_planned)
        .unwrap_or(0);
    let under_parallel_append = graph
        .ancestors(id)
        .take_while(|&ancestor| graph.node(ancestor).workers_planned.is_none())
        .any(|ancestor| {
            let ancestor = graph.node(ancestor);
            ancestor.is_append() && ancestor.parallel_aware
        });
    if !under_parallel_append {
        return divisor_for(gather_workers);
    }
    let width = node.plan_width.unwrap_or(0.0);
    let pages = rows_from_cost(node, divisor_for(1)) * (width + TUPLE_OVERHEAD_BYTES) / PAGE_BYTES;
    let (mut workers, mut threshold) = (1, MIN_PARALLEL_TABLE_SCAN_PAGES * 3.0);
    while pages >= threshold && workers < gather_workers {
        workers += 1;
        threshold *= 3.0;
    }
    divisor_for(workers.min(gather_workers.max(1)))
}

/// PostgreSQL's parallel divisor for `workers` workers: theirs, plus the leader's share
/// (`parallel_leader_participation` on).
fn divisor_for(workers: u64) -> f64 {
    let workers = workers as f64;
    workers + (1.0 - 0.3 * workers).max(0.0)
}

/// The table's row count implied by a sequential scan's cost under default cost settings:
/// each row costs `cpu_tuple_cost`, `cpu_operator_cost` per filter clause, and its share of a
/// page read; a parallel scan divides the per-row CPU cost by `divisor`, not the page reads.
/// An estimate for when neither the catalog nor ANALYZE gives the size.
fn rows_from_cost(node: &PlanNode, divisor: f64) -> f64 {
    let (Some(startup), Some(total)) = (node.startup_cost, node.total_cost) else {
        return 0.0;
    };
    let clauses = node.filter.as_deref().map_or(0, clause_count) as f64;
    let width = node.plan_width.unwrap_or(0.0);
    let per_row = (CPU_TUPLE_COST + CPU_OPERATOR_COST * clauses) / divisor
        + (width + TUPLE_OVERHEAD_BYTES) / PAGE_BYTES;
    ((total - startup) / per_row).max(0.0)
}

/// The number of ANDed clauses in a filter as EXPLAIN prints it: a byte loop, as this runs
/// for every scan of a plan.
fn clause_count(filter: &str) -> usize {
    filter
        .as_bytes()
        .windows(" AND ".len())
        .filter(|window| *window == b" AND ")
        .count()
        + 1
}
