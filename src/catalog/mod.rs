//! Facts about tables that a plan cannot show: partitions, keys, indexes, sizes.
//!
//! They come from a catalog snapshot file (`--catalog`, format below) or, in live mode, from the
//! server itself. With them, partition verdicts are exact and index suggestions skip indexes
//! that exist.

mod snapshot;

pub use snapshot::{Catalog, CatalogError, Column, Index, PartitionKey, Relation, RelationKind};

/// The read-only query that writes a catalog snapshot as one JSON document, for
/// `psql -XAt -f` (or `planlint catalog --sql | psql -XAt -d DB > catalog.json`).
pub const SNAPSHOT_SQL: &str = include_str!("../../scripts/catalog-snapshot.sql");
