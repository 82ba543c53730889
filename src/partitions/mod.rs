//! Partition roll-ups: for each place a plan scans a partitioned table, which partitions it
//! reads, which were pruned, and in which phase.
//!
//! With a catalog snapshot the parent and the total are exact. Without one the parent is
//! inferred from PostgreSQL's alias convention (partition scans under one Append are aliased
//! `parent_1`, `parent_2`, ... from PostgreSQL 13 on) or, failing that, from the partitions'
//! common name stem; partitions pruned at plan time leave no trace, so the total stays unknown.

mod infer;
mod order;
mod phases;
mod rollup;

pub use rollup::{
    partition_scans, partition_scans_of_statement, ParentSource, PartitionScan, PruningPhase,
};
