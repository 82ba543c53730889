//! The typed plan node: the fields planlint reasons about, plus every other field kept verbatim.

use std::borrow::Cow;

use serde_json::value::RawValue;

use super::untyped::UntypedFields;

/// How a child node hangs under its parent, from EXPLAIN's `"Parent Relationship"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Relationship {
    /// The outer (left, or only) input of a node.
    Outer,
    /// The inner (right) input of a join.
    Inner,
    /// A child of an Append or Merge Append: a partition or a UNION ALL branch.
    Member,
    /// A correlated or hashed subplan evaluated from an expression.
    SubPlan,
    /// An uncorrelated subplan run once before the node starts.
    InitPlan,
    /// The query under a Subquery Scan.
    Subquery,
    /// A relationship this version of planlint does not know, kept as written.
    Other(String),
}

impl Relationship {
    /// Reads EXPLAIN's spelling of a parent relationship.
    pub fn parse(text: &str) -> Self {
        match text {
            "Outer" => Self::Outer,
            "Inner" => Self::Inner,
            "Member" => Self::Member,
            "SubPlan" => Self::SubPlan,
            "InitPlan" => Self::InitPlan,
            "Subquery" => Self::Subquery,
            other => Self::Other(other.to_owned()),
        }
    }

    /// EXPLAIN's spelling of this relationship.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Outer => "Outer",
            Self::Inner => "Inner",
            Self::Member => "Member",
            Self::SubPlan => "SubPlan",
            Self::InitPlan => "InitPlan",
            Self::Subquery => "Subquery",
            Self::Other(text) => text,
        }
    }
}

/// The node types of PostgreSQL's EXPLAIN (`explain.c`), sorted for binary search.
pub(crate) const NODE_TYPES: &[&str] = &[
    "Aggregate",
    "Append",
    "Bitmap Heap Scan",
    "Bitmap Index Scan",
    "BitmapAnd",
    "BitmapOr",
    "CTE Scan",
    "Custom Scan",
    "Foreign Scan",
    "Function Scan",
    "Gather",
    "Gather Merge",
    "Group",
    "Hash",
    "Hash Join",
    "Incremental Sort",
    "Index Only Scan",
    "Index Scan",
    "Limit",
    "LockRows",
    "Materialize",
    "Memoize",
    "Merge Append",
    "Merge Join",
    "ModifyTable",
    "Named Tuplestore Scan",
    "Nested Loop",
    "ProjectSet",
    "Recursive Union",
    "Result",
    "Sample Scan",
    "Seq Scan",
    "SetOp",
    "Sort",
    "Subquery Scan",
    "Table Function Scan",
    "Tid Range Scan",
    "Tid Scan",
    "Unique",
    "Values Scan",
    "WindowAgg",
    "WorkTable Scan",
];

/// A `"Node Type"` as the node keeps it: PostgreSQL's own types as shared static strings,
/// anything else (a newer server's, an extension's) as its own copy.
pub(crate) fn node_type(text: &str) -> Cow<'static, str> {
    match NODE_TYPES.binary_search(&text) {
        Ok(index) => Cow::Borrowed(NODE_TYPES[index]),
        Err(_) => Cow::Owned(text.to_owned()),
    }
}

/// Block counts from `EXPLAIN (BUFFERS)`; totals over all loops, as PostgreSQL prints them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Buffers {
    /// Shared blocks found in the buffer cache.
    pub shared_hit: Option<u64>,
    /// Shared blocks read from disk or the OS cache.
    pub shared_read: Option<u64>,
    /// Shared blocks dirtied.
    pub shared_dirtied: Option<u64>,
    /// Shared blocks written.
    pub shared_written: Option<u64>,
    /// Local (temporary table) blocks found in the cache.
    pub local_hit: Option<u64>,
    /// Local blocks read.
    pub local_read: Option<u64>,
    /// Temporary-file blocks read (sorts, hashes that spilled).
    pub temp_read: Option<u64>,
    /// Temporary-file blocks written.
    pub temp_written: Option<u64>,
}

/// One node of a plan, as `EXPLAIN (FORMAT JSON)` describes it.
///
/// The fields planlint reasons about are typed; everything else the server printed (sort and
/// hash details, the output list, WAL counters, fields of newer servers) is kept verbatim in
/// [`PlanNode::extra`], so nothing is lost and a plan of 100,000 nodes stays small in memory.
#[derive(Debug, Clone, Default)]
pub struct PlanNode {
    /// `"Node Type"`, e.g. `Seq Scan`, `Append`, `Hash Join`: the node types PostgreSQL has
    /// are shared static strings, so a plan of 100,000 nodes holds no copy of them.
    pub node_type: Cow<'static, str>,
    /// `"Parent Relationship"`: how this node hangs under its parent (absent on the root).
    pub parent_relationship: Option<Relationship>,
    /// `"Subplan Name"`, e.g. `InitPlan 1 (returns $0)`.
    pub subplan_name: Option<Box<str>>,
    /// `"Strategy"` of an Aggregate or SetOp (`Plain`, `Sorted`, `Hashed`, `Mixed`).
    pub strategy: Option<Box<str>>,
    /// `"Partial Mode"` of a parallel Aggregate (`Partial`, `Finalize`, `Simple`).
    pub partial_mode: Option<Box<str>>,
    /// `"Operation"` of a ModifyTable (`Insert`, `Update`, `Delete`, `Merge`).
    pub operation: Option<Box<str>>,
    /// `"Parallel Aware"`: true for Parallel Seq Scan, Parallel Append, and the like.
    pub parallel_aware: bool,
    /// `"Relation Name"`: the table (for partitions, the leaf partition) a scan reads.
    pub relation_name: Option<Box<str>>,
    /// `"Schema"`: printed by VERBOSE plans.
    pub schema: Option<Box<str>>,
    /// `"Alias"`: the name the query (or the planner, for partitions) gave the relation.
    pub alias: Option<Box<str>>,
    /// `"Index Name"` of an index or index-only scan.
    pub index_name: Option<Box<str>>,
    /// `"CTE Name"` of a CTE scan.
    pub cte_name: Option<Box<str>>,
    /// `"Function Name"` of a function scan.
    pub function_name: Option<Box<str>>,
    /// `"Join Type"` (`Inner`, `Left`, `Semi`, `Anti`, ...).
    pub join_type: Option<Box<str>>,
    /// `"Startup Cost"` estimate.
    pub startup_cost: Option<f64>,
    /// `"Total Cost"` estimate.
    pub total_cost: Option<f64>,
    /// `"Plan Rows"`: estimated rows per loop.
    pub plan_rows: Option<f64>,
    /// `"Plan Width"`: estimated average row width in bytes.
    pub plan_width: Option<f64>,
    /// `"Actual Total Time"` in milliseconds per loop (ANALYZE).
    pub actual_total_time: Option<f64>,
    /// `"Actual Rows"` per loop (ANALYZE).
    pub actual_rows: Option<f64>,
    /// `"Actual Loops"` (ANALYZE); 0 means the node never ran.
    pub actual_loops: Option<f64>,
    /// `"Workers Planned"` of a Gather or Gather Merge.
    pub workers_planned: Option<u64>,
    /// `"Filter"`: the condition applied to each row the node produces.
    pub filter: Option<Box<str>>,
    /// `"Index Cond"`.
    pub index_cond: Option<Box<str>>,
    /// `"Recheck Cond"` of a bitmap heap scan.
    pub recheck_cond: Option<Box<str>>,
    /// `"Hash Cond"` of a hash join.
    pub hash_cond: Option<Box<str>>,
    /// `"Merge Cond"` of a merge join.
    pub merge_cond: Option<Box<str>>,
    /// `"Join Filter"`.
    pub join_filter: Option<Box<str>>,
    /// `"One-Time Filter"` of a Result; `false` when every partition was pruned.
    pub one_time_filter: Option<Box<str>>,
    /// `"Rows Removed by Filter"`, per loop (ANALYZE).
    pub rows_removed_by_filter: Option<f64>,
    /// `"Subplans Removed"` of an Append or Merge Append: children pruned at executor start-up.
    pub subplans_removed: Option<u64>,
    /// Buffer counts, when the plan has them (BUFFERS).
    pub buffers: Option<Box<Buffers>>,
    /// Every field planlint does not type, in the order and form the server printed it.
    pub extra: UntypedFields,
}

impl PlanNode {
    /// Whether ANALYZE timings or counts are present on this node.
    pub fn is_analyzed(&self) -> bool {
        self.actual_loops.is_some()
    }

    /// Whether the node ran zero times (ANALYZE's "never executed").
    pub fn never_executed(&self) -> bool {
        self.actual_loops == Some(0.0)
    }

    /// Whether this node reads a table or partition directly (ModifyTable names its target
    /// relation too, but reads nothing itself).
    pub fn is_relation_scan(&self) -> bool {
        self.relation_name.is_some() && self.node_type != "ModifyTable"
    }

    /// Whether this node reads its relation through an index (Index Scan, Index Only Scan, or
    /// a Bitmap Heap Scan over bitmap index scans): a probe, not a read of the whole relation.
    pub fn is_index_probe(&self) -> bool {
        matches!(
            &*self.node_type,
            "Index Scan" | "Index Only Scan" | "Bitmap Heap Scan"
        )
    }

    /// Whether this node is an Append or Merge Append: where partitions and UNION ALL branches meet.
    pub fn is_append(&self) -> bool {
        matches!(&*self.node_type, "Append" | "Merge Append")
    }

    /// Looks up a field that planlint keeps untyped, by EXPLAIN's name for it.
    pub fn extra_field(&self, name: &str) -> Option<&RawValue> {
        self.extra.get(name)
    }
}

#[cfg(test)]
mod tests {
    use super::{node_type, NODE_TYPES};
    use std::borrow::Cow;

    #[test]
    fn known_node_types_are_shared_and_others_kept() {
        assert!(
            NODE_TYPES.windows(2).all(|pair| pair[0] < pair[1]),
            "sorted"
        );
        assert!(matches!(node_type("Seq Scan"), Cow::Borrowed("Seq Scan")));
        assert!(matches!(node_type("Hash"), Cow::Borrowed("Hash")));
        assert!(matches!(node_type("Columnar Scan"), Cow::Owned(ref t) if t == "Columnar Scan"));
    }
}
