//! Facts about tables that a plan cannot show: partitions, keys, indexes, sizes.
//!
//! They come from a catalog snapshot file (`--catalog`, format below) or, in live mode, from the
//! server itself. With them, partition verdicts are exact and index suggestions skip indexes
//! that exist.

mod snapshot;

pub use snapshot::{Catalog, CatalogError, Column, Index, PartitionKey, Relation, RelationKind};
